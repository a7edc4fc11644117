using Google.Protobuf;
using V3 = Kube.Store.Etcd.Protocol;

namespace Kube.Store.Etcd;

/// <summary>Conversions between the etcd protobuf messages and the store's request/result records.</summary>
internal static class EtcdMapping
{
    // Stored keys and values are never mutated, so responses wrap them without copying.
    private static ByteString Wrap(byte[] bytes) => bytes.Length == 0 ? ByteString.Empty : UnsafeByteOperations.UnsafeWrap(bytes);

    private static byte[]? OptionalBytes(ByteString bs) => bs.IsEmpty ? null : bs.ToByteArray();

    public static V3.ResponseHeader ToPb(ResponseHeader h) => new()
    {
        ClusterId = h.ClusterId, MemberId = h.MemberId, Revision = h.Revision, RaftTerm = h.RaftTerm,
    };

    public static V3.KeyValue ToPb(KeyValue kv) => new()
    {
        Key = Wrap(kv.Key), Value = Wrap(kv.Value), CreateRevision = kv.CreateRevision, ModRevision = kv.ModRevision,
        Version = kv.Version, Lease = kv.Lease,
    };

    public static RangeRequest FromPb(V3.RangeRequest r) => new(r.Key.ToByteArray())
    {
        RangeEnd = OptionalBytes(r.RangeEnd),
        Limit = r.Limit,
        Revision = r.Revision,
        SortOrder = (SortOrder)r.SortOrder,
        SortTarget = (SortTarget)r.SortTarget,
        Serializable = r.Serializable,
        KeysOnly = r.KeysOnly,
        CountOnly = r.CountOnly,
        MinModRevision = r.MinModRevision,
        MaxModRevision = r.MaxModRevision,
        MinCreateRevision = r.MinCreateRevision,
        MaxCreateRevision = r.MaxCreateRevision,
    };

    public static PutRequest FromPb(V3.PutRequest p) => new(p.Key.ToByteArray(), p.Value.ToByteArray())
    {
        Lease = p.Lease, PrevKv = p.PrevKv, IgnoreValue = p.IgnoreValue, IgnoreLease = p.IgnoreLease,
    };

    public static DeleteRangeRequest FromPb(V3.DeleteRangeRequest d) => new(d.Key.ToByteArray())
    {
        RangeEnd = OptionalBytes(d.RangeEnd), PrevKv = d.PrevKv,
    };

    public static TxnRequest FromPb(V3.TxnRequest t) => new()
    {
        Compares = t.Compare.Select(FromPb).ToArray(),
        Success = t.Success.Select(FromPb).ToArray(),
        Failure = t.Failure.Select(FromPb).ToArray(),
    };

    private static Compare FromPb(V3.Compare c) => new(c.Key.ToByteArray(), (CompareTarget)c.Target, (CompareResult)c.Result)
    {
        RangeEnd = OptionalBytes(c.RangeEnd),
        Version = c.Version,
        CreateRevision = c.CreateRevision,
        ModRevision = c.ModRevision,
        Value = c.TargetUnionCase == V3.Compare.TargetUnionOneofCase.Value ? c.Value.ToByteArray() : null,
        Lease = c.Lease,
    };

    private static RequestOp FromPb(V3.RequestOp op) => op.RequestCase switch
    {
        V3.RequestOp.RequestOneofCase.RequestRange => new RequestOp { Range = FromPb(op.RequestRange) },
        V3.RequestOp.RequestOneofCase.RequestPut => new RequestOp { Put = FromPb(op.RequestPut) },
        V3.RequestOp.RequestOneofCase.RequestDeleteRange => new RequestOp { DeleteRange = FromPb(op.RequestDeleteRange) },
        V3.RequestOp.RequestOneofCase.RequestTxn => new RequestOp { Txn = FromPb(op.RequestTxn) },
        _ => throw new StoreException(StoreErrorCode.EmptyKey),
    };

    public static V3.RangeResponse ToPb(RangeResult r)
    {
        var response = new V3.RangeResponse { Header = ToPb(r.Header), More = r.More, Count = r.Count };
        foreach (var kv in r.Kvs)
        {
            response.Kvs.Add(ToPb(kv));
        }
        return response;
    }

    public static V3.PutResponse ToPb(PutResult r)
    {
        var response = new V3.PutResponse { Header = ToPb(r.Header) };
        if (r.PrevKv is { } prev)
        {
            response.PrevKv = ToPb(prev);
        }
        return response;
    }

    public static V3.DeleteRangeResponse ToPb(DeleteRangeResult r)
    {
        var response = new V3.DeleteRangeResponse { Header = ToPb(r.Header), Deleted = r.Deleted };
        foreach (var kv in r.PrevKvs)
        {
            response.PrevKvs.Add(ToPb(kv));
        }
        return response;
    }

    public static V3.TxnResponse ToPb(TxnResult r)
    {
        var response = new V3.TxnResponse { Header = ToPb(r.Header), Succeeded = r.Succeeded };
        foreach (var op in r.Responses)
        {
            // As etcd's applier: the responses inside a txn carry only the revision in their header (the server fills cluster id,
            // member id and raft term in the outer header alone).
            var nested = op switch
            {
                { Range: { } x } => new V3.ResponseOp { ResponseRange = ToPb(x) },
                { Put: { } x } => new V3.ResponseOp { ResponsePut = ToPb(x) },
                { DeleteRange: { } x } => new V3.ResponseOp { ResponseDeleteRange = ToPb(x) },
                { Txn: { } x } => new V3.ResponseOp { ResponseTxn = ToPb(x) },
                _ => new V3.ResponseOp(),
            };
            if (NestedHeader(nested) is { } header)
            {
                header.ClusterId = 0;
                header.MemberId = 0;
                header.RaftTerm = 0;
            }
            response.Responses.Add(nested);
        }
        return response;
    }

    private static V3.ResponseHeader? NestedHeader(V3.ResponseOp op) =>
        op.ResponseRange?.Header ?? op.ResponsePut?.Header ?? op.ResponseDeleteRange?.Header ?? op.ResponseTxn?.Header;

    public static V3.Event ToPb(WatchEvent e)
    {
        var ev = new V3.Event { Type = (V3.Event.Types.EventType)e.Type, Kv = ToPb(e.Kv) };
        if (e.PrevKv is { } prev)
        {
            ev.PrevKv = ToPb(prev);
        }
        return ev;
    }
}
