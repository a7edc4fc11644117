namespace Kube.Store.Tests.Simulation;

/// <summary>A change as a watcher sees it: revision, key, new value (null for a delete) and the previous value (prevKV).</summary>
internal sealed record WatchEvent(long Revision, string Key, string? Value, string? PrevValue);
