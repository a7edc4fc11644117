using Grpc.Core;

namespace Kube.Store.Etcd;

/// <summary>Maps store errors to etcd's gRPC status codes; the message is etcd's exact text, which clients match on.</summary>
internal static class EtcdErrors
{
    public static StatusCode CodeFor(StoreErrorCode code) => code switch
    {
        StoreErrorCode.Compacted or StoreErrorCode.FutureRevision => StatusCode.OutOfRange,
        StoreErrorCode.RequestTooLarge or StoreErrorCode.DuplicateKey or StoreErrorCode.EmptyKey or StoreErrorCode.KeyNotFound => StatusCode.InvalidArgument,
        StoreErrorCode.NoSpace => StatusCode.ResourceExhausted,
        StoreErrorCode.LeaseNotFound or StoreErrorCode.MemberNotFound => StatusCode.NotFound,
        StoreErrorCode.MemberExists or StoreErrorCode.PeerUrlExists or StoreErrorCode.MemberNotLearner or StoreErrorCode.LearnerNotReady
            or StoreErrorCode.NotEnoughStartedMembers or StoreErrorCode.TooManyLearners => StatusCode.FailedPrecondition,
        StoreErrorCode.InvalidPeerUrls => StatusCode.InvalidArgument,
        StoreErrorCode.LeaseExists => StatusCode.FailedPrecondition,
        StoreErrorCode.NoLeader or StoreErrorCode.LeaderChanged or StoreErrorCode.Timeout or StoreErrorCode.Stopped
            or StoreErrorCode.Unhealthy => StatusCode.Unavailable,
        _ => StatusCode.Unknown,
    };

    public static RpcException ToRpc(StoreException ex) => new(new Status(CodeFor(ex.Code), ex.Message));
}
