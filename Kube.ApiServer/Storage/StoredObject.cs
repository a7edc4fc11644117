namespace Kube.ApiServer.Storage;

/// <summary>A raw stored value with its key and mod revision (the object's resourceVersion).</summary>
internal sealed record StoredObject(byte[] Key, byte[] Value, long ModRevision);
