namespace Kube.Core.Informers;

/// <summary>A watch ended at once without events; the reflector backs off before it watches again.</summary>
internal sealed class WatchEndedEarlyException(string message) : Exception(message);
