using Google.Protobuf;
using V3 = Kube.Store.Etcd.Protocol;

namespace Kube.Store.Etcd.Client;

/// <summary>The client direction of the etcd mapping: store requests to etcd messages, etcd responses to store results.</summary>
internal static class EtcdClientMapping
{
    private static ByteString Wrap(byte[]? bytes) => bytes is null || bytes.Length == 0 ? ByteString.Empty : UnsafeByteOperations.UnsafeWrap(bytes);

    private static byte[] Bytes(ByteString bs) => bs.IsEmpty ? [] : bs.ToByteArray();

    public static ResponseHeader FromPb(V3.ResponseHeader? h) =>
        h is null ? default : new ResponseHeader(h.ClusterId, h.MemberId, h.Revision, h.RaftTerm);

    public static KeyValue FromPb(V3.KeyValue kv) =>
        new(Bytes(kv.Key), Bytes(kv.Value), kv.CreateRevision, kv.ModRevision, kv.Version, kv.Lease);

    public static V3.RangeRequest ToPb(RangeRequest r) => new()
    {
        Key = Wrap(r.Key),
        RangeEnd = Wrap(r.RangeEnd),
        Limit = r.Limit,
        Revision = r.Revision,
        SortOrder = (V3.RangeRequest.Types.SortOrder)r.SortOrder,
        SortTarget = (V3.RangeRequest.Types.SortTarget)r.SortTarget,
        Serializable = r.Serializable,
        KeysOnly = r.KeysOnly,
        CountOnly = r.CountOnly,
        MinModRevision = r.MinModRevision,
        MaxModRevision = r.MaxModRevision,
        MinCreateRevision = r.MinCreateRevision,
        MaxCreateRevision = r.MaxCreateRevision,
    };

    public static V3.PutRequest ToPb(PutRequest p) => new()
    {
        Key = Wrap(p.Key), Value = Wrap(p.Value), Lease = p.Lease, PrevKv = p.PrevKv, IgnoreValue = p.IgnoreValue, IgnoreLease = p.IgnoreLease,
    };

    public static V3.DeleteRangeRequest ToPb(DeleteRangeRequest d) => new() { Key = Wrap(d.Key), RangeEnd = Wrap(d.RangeEnd), PrevKv = d.PrevKv };

    public static V3.TxnRequest ToPb(TxnRequest t)
    {
        var pb = new V3.TxnRequest();
        foreach (var c in t.Compares)
        {
            pb.Compare.Add(ToPb(c));
        }
        foreach (var op in t.Success)
        {
            pb.Success.Add(ToPb(op));
        }
        foreach (var op in t.Failure)
        {
            pb.Failure.Add(ToPb(op));
        }
        return pb;
    }

    private static V3.Compare ToPb(Compare c)
    {
        var pb = new V3.Compare
        {
            Key = Wrap(c.Key), RangeEnd = Wrap(c.RangeEnd), Target = (V3.Compare.Types.CompareTarget)c.Target, Result = (V3.Compare.Types.CompareResult)c.Result,
        };
        switch (c.Target)
        {
            case CompareTarget.Version:
                pb.Version = c.Version;
                break;
            case CompareTarget.Create:
                pb.CreateRevision = c.CreateRevision;
                break;
            case CompareTarget.Mod:
                pb.ModRevision = c.ModRevision;
                break;
            case CompareTarget.Value:
                pb.Value = Wrap(c.Value);
                break;
            case CompareTarget.Lease:
                pb.Lease = c.Lease;
                break;
        }
        return pb;
    }

    private static V3.RequestOp ToPb(RequestOp op) => op switch
    {
        { Range: { } r } => new V3.RequestOp { RequestRange = ToPb(r) },
        { Put: { } p } => new V3.RequestOp { RequestPut = ToPb(p) },
        { DeleteRange: { } d } => new V3.RequestOp { RequestDeleteRange = ToPb(d) },
        { Txn: { } t } => new V3.RequestOp { RequestTxn = ToPb(t) },
        _ => throw new ArgumentException("A txn operation must set exactly one of Range, Put, DeleteRange or Txn.", nameof(op)),
    };

    public static RangeResult FromPb(V3.RangeResponse r) =>
        new(FromPb(r.Header), r.Kvs.Select(FromPb).ToArray(), r.More, r.Count);

    public static PutResult FromPb(V3.PutResponse r) => new(FromPb(r.Header), r.PrevKv is { } prev ? FromPb(prev) : null);

    public static DeleteRangeResult FromPb(V3.DeleteRangeResponse r) => new(FromPb(r.Header), r.Deleted, r.PrevKvs.Select(FromPb).ToArray());

    public static TxnResult FromPb(V3.TxnResponse r) => new(FromPb(r.Header), r.Succeeded, r.Responses.Select(FromPb).ToArray());

    private static ResponseOp FromPb(V3.ResponseOp op) => op.ResponseCase switch
    {
        V3.ResponseOp.ResponseOneofCase.ResponseRange => new ResponseOp { Range = FromPb(op.ResponseRange) },
        V3.ResponseOp.ResponseOneofCase.ResponsePut => new ResponseOp { Put = FromPb(op.ResponsePut) },
        V3.ResponseOp.ResponseOneofCase.ResponseDeleteRange => new ResponseOp { DeleteRange = FromPb(op.ResponseDeleteRange) },
        V3.ResponseOp.ResponseOneofCase.ResponseTxn => new ResponseOp { Txn = FromPb(op.ResponseTxn) },
        _ => new ResponseOp(),
    };

    public static V3.WatchCreateRequest ToPb(WatchRequest w, long startRevision)
    {
        var pb = new V3.WatchCreateRequest
        {
            Key = Wrap(w.Key), RangeEnd = Wrap(w.RangeEnd), StartRevision = startRevision, PrevKv = w.PrevKv, ProgressNotify = w.ProgressNotify,
        };
        if (w.NoPut)
        {
            pb.Filters.Add(V3.WatchCreateRequest.Types.FilterType.Noput);
        }
        if (w.NoDelete)
        {
            pb.Filters.Add(V3.WatchCreateRequest.Types.FilterType.Nodelete);
        }
        return pb;
    }

    public static WatchEvent FromPb(V3.Event e) =>
        new((EventType)e.Type, FromPb(e.Kv ?? new V3.KeyValue()), e.PrevKv is { } prev ? FromPb(prev) : null);
}
