namespace Kube.Store.Tests.Simulation;

internal enum KvOpKind : byte
{
    Get,
    Put,
    Delete,

    /// <summary>A txn: if the key's value equals Arg1 (null: the key is absent) then put Arg2.</summary>
    Cas,
}
