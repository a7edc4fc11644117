namespace Kube.Store;

// The request and result shapes of IKeyValueStore. They mirror etcd's v3 messages (rpc.proto / kv.proto)
// so that the gRPC service maps onto them field by field. Keys and values are raw bytes, as in etcd.

/// <summary>The header every result carries, as etcd's ResponseHeader.</summary>
public readonly record struct ResponseHeader(ulong ClusterId, ulong MemberId, long Revision, ulong RaftTerm);

/// <summary>A stored key-value pair, as etcd's mvccpb.KeyValue.</summary>
public sealed record KeyValue(byte[] Key, byte[] Value, long CreateRevision, long ModRevision, long Version, long Lease);

public enum SortOrder { None = 0, Ascend = 1, Descend = 2 }

public enum SortTarget { Key = 0, Version = 1, Create = 2, Mod = 3, Value = 4 }

/// <summary>A range read. <see cref="RangeEnd"/> null reads one key; "\0" reads every key at or after <see cref="Key"/>.</summary>
public sealed record RangeRequest(byte[] Key)
{
    public byte[]? RangeEnd { get; init; }
    /// <summary>Maximum number of keys returned; 0 means no limit.</summary>
    public long Limit { get; init; }
    /// <summary>The revision to read at; 0 or less means the latest.</summary>
    public long Revision { get; init; }
    public SortOrder SortOrder { get; init; }
    public SortTarget SortTarget { get; init; }
    /// <summary>Serve from the local member without a quorum round.</summary>
    public bool Serializable { get; init; }
    public bool KeysOnly { get; init; }
    public bool CountOnly { get; init; }
    public long MinModRevision { get; init; }
    public long MaxModRevision { get; init; }
    public long MinCreateRevision { get; init; }
    public long MaxCreateRevision { get; init; }
}

public sealed record RangeResult(ResponseHeader Header, IReadOnlyList<KeyValue> Kvs, bool More, long Count);

public sealed record PutRequest(byte[] Key, byte[] Value)
{
    public long Lease { get; init; }
    public bool PrevKv { get; init; }
    public bool IgnoreValue { get; init; }
    public bool IgnoreLease { get; init; }
}

public sealed record PutResult(ResponseHeader Header, KeyValue? PrevKv);

public sealed record DeleteRangeRequest(byte[] Key)
{
    public byte[]? RangeEnd { get; init; }
    public bool PrevKv { get; init; }
}

public sealed record DeleteRangeResult(ResponseHeader Header, long Deleted, IReadOnlyList<KeyValue> PrevKvs);

public enum CompareResult { Equal = 0, Greater = 1, Less = 2, NotEqual = 3 }

public enum CompareTarget { Version = 0, Create = 1, Mod = 2, Value = 3, Lease = 4 }

/// <summary>One compare of a txn, as etcd's Compare. Exactly one of the target fields is used, by <see cref="Target"/>.</summary>
public sealed record Compare(byte[] Key, CompareTarget Target, CompareResult Result)
{
    public byte[]? RangeEnd { get; init; }
    public long Version { get; init; }
    public long CreateRevision { get; init; }
    public long ModRevision { get; init; }
    public byte[]? Value { get; init; }
    public long Lease { get; init; }
}

/// <summary>One operation of a txn: exactly one of the requests is set.</summary>
public sealed record RequestOp
{
    public RangeRequest? Range { get; init; }
    public PutRequest? Put { get; init; }
    public DeleteRangeRequest? DeleteRange { get; init; }
    public TxnRequest? Txn { get; init; }
}

/// <summary>One result of a txn, in the order of the operations.</summary>
public sealed record ResponseOp
{
    public RangeResult? Range { get; init; }
    public PutResult? Put { get; init; }
    public DeleteRangeResult? DeleteRange { get; init; }
    public TxnResult? Txn { get; init; }
}

public sealed record TxnRequest
{
    public IReadOnlyList<Compare> Compares { get; init; } = [];
    public IReadOnlyList<RequestOp> Success { get; init; } = [];
    public IReadOnlyList<RequestOp> Failure { get; init; } = [];
}

public sealed record TxnResult(ResponseHeader Header, bool Succeeded, IReadOnlyList<ResponseOp> Responses);

public sealed record WatchRequest(byte[] Key)
{
    public byte[]? RangeEnd { get; init; }
    /// <summary>The first revision to deliver; 0 means "changes after now".</summary>
    public long StartRevision { get; init; }
    public bool PrevKv { get; init; }
    /// <summary>Send an empty response with the current revision when idle (etcd's progress notify), every ~10 minutes in etcd; here every <see cref="ProgressInterval"/>.</summary>
    public bool ProgressNotify { get; init; }
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromMinutes(10);
    public bool NoPut { get; init; }
    public bool NoDelete { get; init; }
}

public enum EventType { Put = 0, Delete = 1 }

public sealed record WatchEvent(EventType Type, KeyValue Kv, KeyValue? PrevKv);

/// <summary>A batch of events at one or more revisions; an empty batch is a progress notification at <see cref="ResponseHeader.Revision"/>.</summary>
public sealed record WatchResponse(ResponseHeader Header, IReadOnlyList<WatchEvent> Events);

public sealed record CompactResult(ResponseHeader Header);

public sealed record LeaseGrantResult(ResponseHeader Header, long Id, long Ttl);

public sealed record LeaseKeepAliveResult(ResponseHeader Header, long Id, long Ttl);

public sealed record LeaseTimeToLiveResult(ResponseHeader Header, long Id, long Ttl, long GrantedTtl, IReadOnlyList<byte[]> Keys);

public sealed record StoreStatus(ResponseHeader Header, long CompactRevision, ulong Leader, ulong RaftIndex, ulong RaftAppliedIndex, long DbSize, bool IsLearner);
