namespace Kube.Store.Mvcc;

/// <summary>Request checks done before a txn is proposed, with etcd's errors (empty keys; duplicate keys in one branch).</summary>
internal static class TxnValidator
{
    private const int MaxDepth = 64;

    public static void Validate(TxnRequest txn) => ValidateTxn(txn, 0);

    /// <summary>Whether the txn can add data (any put in any branch), which the space quota refuses when full.</summary>
    public static bool HasPut(TxnRequest txn)
    {
        foreach (var op in txn.Success.Concat(txn.Failure))
        {
            if (op.Put is not null || (op.Txn is { } nested && HasPut(nested)))
            {
                return true;
            }
        }
        return false;
    }

    private static void ValidateTxn(TxnRequest txn, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new ArgumentException("Txn nesting is deeper than 64.", nameof(txn));
        }
        foreach (var c in txn.Compares)
        {
            if (c.Key is null || c.Key.Length == 0)
            {
                throw new StoreException(StoreErrorCode.EmptyKey);
            }
        }
        CheckBranch(txn.Success, depth);
        CheckBranch(txn.Failure, depth);
    }

    /// <summary>Validates a branch; returns the keys it (and txns nested in it) may put.</summary>
    private static HashSet<byte[]> CheckBranch(IReadOnlyList<RequestOp> ops, int depth)
    {
        var puts = new HashSet<byte[]>(ByteKeyComparer.Instance);
        var deletes = new List<DeleteRangeRequest>();
        foreach (var op in ops)
        {
            if (op.Range is { } range)
            {
                if (range.Key is null || range.Key.Length == 0)
                {
                    throw new StoreException(StoreErrorCode.EmptyKey);
                }
            }
            else if (op.Put is { } put)
            {
                if (put.Key is null || put.Key.Length == 0)
                {
                    throw new StoreException(StoreErrorCode.EmptyKey);
                }
                if (!puts.Add(put.Key))
                {
                    throw new StoreException(StoreErrorCode.DuplicateKey);
                }
            }
            else if (op.DeleteRange is { } del)
            {
                if (del.Key is null || del.Key.Length == 0)
                {
                    throw new StoreException(StoreErrorCode.EmptyKey);
                }
                deletes.Add(del);
            }
            else if (op.Txn is { } nested)
            {
                ValidateTxn(nested, depth + 1);
                var nestedPuts = CheckBranch(nested.Success, depth + 1);
                nestedPuts.UnionWith(CheckBranch(nested.Failure, depth + 1));
                foreach (var key in nestedPuts)
                {
                    if (!puts.Add(key))
                    {
                        throw new StoreException(StoreErrorCode.DuplicateKey);
                    }
                }
            }
            else
            {
                throw new ArgumentException("A txn operation has no request set.", nameof(ops));
            }
        }
        foreach (var del in deletes)
        {
            foreach (var key in puts)
            {
                if (ByteKeyComparer.InRange(key, del.Key, del.RangeEnd))
                {
                    throw new StoreException(StoreErrorCode.DuplicateKey);
                }
            }
        }
        return puts;
    }
}
