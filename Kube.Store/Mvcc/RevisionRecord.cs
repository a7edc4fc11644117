namespace Kube.Store.Mvcc;

/// <summary>The events of one write revision, in sub-revision order, each with its previous value.</summary>
internal sealed record RevisionRecord(long Revision, WatchEvent[] Events);
