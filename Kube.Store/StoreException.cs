namespace Kube.Store;

/// <summary>The store's error kinds. Each maps to one etcd gRPC status and exact message (see <see cref="StoreException"/>).</summary>
public enum StoreErrorCode
{
    /// <summary>etcd: OutOfRange "etcdserver: mvcc: required revision has been compacted".</summary>
    Compacted,
    /// <summary>etcd: OutOfRange "etcdserver: mvcc: required revision is a future revision".</summary>
    FutureRevision,
    /// <summary>etcd: InvalidArgument "etcdserver: request is too large".</summary>
    RequestTooLarge,
    /// <summary>etcd: ResourceExhausted "etcdserver: mvcc: database space exceeded".</summary>
    NoSpace,
    /// <summary>etcd: NotFound "etcdserver: requested lease not found".</summary>
    LeaseNotFound,
    /// <summary>etcd: FailedPrecondition "etcdserver: lease already exists".</summary>
    LeaseExists,
    /// <summary>etcd: InvalidArgument "etcdserver: duplicate key given in txn request".</summary>
    DuplicateKey,
    /// <summary>etcd: InvalidArgument "etcdserver: key is not provided".</summary>
    EmptyKey,
    /// <summary>etcd: Unavailable "etcdserver: no leader".</summary>
    NoLeader,
    /// <summary>etcd: Unavailable "etcdserver: request timed out".</summary>
    Timeout,
    /// <summary>etcd: Unavailable "etcdserver: server stopped".</summary>
    Stopped,
    /// <summary>etcd: InvalidArgument "etcdserver: key not found" (a put with ignore_value or ignore_lease on a missing key).</summary>
    KeyNotFound,
    /// <summary>etcd: Unavailable "etcdserver: leader changed" (a pending request's leader went away; its outcome is unknown).</summary>
    LeaderChanged,
    /// <summary>etcd: NotFound "etcdserver: member not found".</summary>
    MemberNotFound,
    /// <summary>etcd: FailedPrecondition "etcdserver: member ID already exist".</summary>
    MemberExists,
    /// <summary>etcd: FailedPrecondition "etcdserver: Peer URLs already exists".</summary>
    PeerUrlExists,
    /// <summary>etcd: FailedPrecondition "etcdserver: can only promote a learner member".</summary>
    MemberNotLearner,
    /// <summary>etcd: FailedPrecondition "etcdserver: can only promote a learner member which is in sync with leader".</summary>
    LearnerNotReady,
    /// <summary>etcd: InvalidArgument "etcdserver: member peer URLs must be given as http://host:port".</summary>
    InvalidPeerUrls,
    /// <summary>etcd: FailedPrecondition "etcdserver: re-configuration failed due to not enough started members".</summary>
    NotEnoughStartedMembers,
    /// <summary>etcd: Unavailable "etcdserver: unhealthy cluster" (a voter is not connected, so the change could cost the quorum).</summary>
    Unhealthy,
    /// <summary>etcd: FailedPrecondition "etcdserver: too many learner members in cluster" (etcd 3.4 allows one learner).</summary>
    TooManyLearners,
}

/// <summary>A store error with etcd's exact message text (clients match on it).</summary>
public sealed class StoreException : Exception
{
    public StoreException(StoreErrorCode code, long compactRevision = 0)
        : base(MessageFor(code))
    {
        Code = code;
        CompactRevision = compactRevision;
    }

    public StoreErrorCode Code { get; }

    /// <summary>For <see cref="StoreErrorCode.Compacted"/>: the revision the store is compacted to.</summary>
    public long CompactRevision { get; }

    public static string MessageFor(StoreErrorCode code) => code switch
    {
        StoreErrorCode.Compacted => "etcdserver: mvcc: required revision has been compacted",
        StoreErrorCode.FutureRevision => "etcdserver: mvcc: required revision is a future revision",
        StoreErrorCode.RequestTooLarge => "etcdserver: request is too large",
        StoreErrorCode.NoSpace => "etcdserver: mvcc: database space exceeded",
        StoreErrorCode.LeaseNotFound => "etcdserver: requested lease not found",
        StoreErrorCode.LeaseExists => "etcdserver: lease already exists",
        StoreErrorCode.DuplicateKey => "etcdserver: duplicate key given in txn request",
        StoreErrorCode.EmptyKey => "etcdserver: key is not provided",
        StoreErrorCode.NoLeader => "etcdserver: no leader",
        StoreErrorCode.Timeout => "etcdserver: request timed out",
        StoreErrorCode.Stopped => "etcdserver: server stopped",
        StoreErrorCode.KeyNotFound => "etcdserver: key not found",
        StoreErrorCode.LeaderChanged => "etcdserver: leader changed",
        StoreErrorCode.MemberNotFound => "etcdserver: member not found",
        StoreErrorCode.MemberExists => "etcdserver: member ID already exist",
        StoreErrorCode.PeerUrlExists => "etcdserver: Peer URLs already exists",
        StoreErrorCode.MemberNotLearner => "etcdserver: can only promote a learner member",
        StoreErrorCode.LearnerNotReady => "etcdserver: can only promote a learner member which is in sync with leader",
        StoreErrorCode.InvalidPeerUrls => "etcdserver: member peer URLs must be given as http://host:port",
        StoreErrorCode.NotEnoughStartedMembers => "etcdserver: re-configuration failed due to not enough started members",
        StoreErrorCode.Unhealthy => "etcdserver: unhealthy cluster",
        StoreErrorCode.TooManyLearners => "etcdserver: too many learner members in cluster",
        _ => "etcdserver: unknown error",
    };
}
