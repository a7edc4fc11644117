using System.Buffers;

namespace Kube.Store.Mvcc;

/// <summary>
/// The compact binary encoding of <see cref="StoreCommand"/>s carried by the log and the WAL.
/// Layout: one type byte, then the fields in a fixed order; integers are LEB128 varints of the
/// two's-complement value; byte strings are a varint of (length + 1) with 0 meaning null.
/// </summary>
internal static class CommandCodec
{
    private const byte TxnType = 1, CompactType = 2, LeaseGrantType = 3, LeaseRevokeType = 4, LeaseKeepAliveType = 5;
    private const byte OpRange = 1, OpPut = 2, OpDelete = 3, OpTxn = 4;

    public static byte[] Encode(StoreCommand command)
    {
        var w = new ArrayBufferWriter<byte>(64);
        switch (command)
        {
            case TxnCommand t:
                WriteByte(w, TxnType);
                WriteTxn(w, t.Txn);
                break;
            case CompactCommand c:
                WriteByte(w, CompactType);
                WriteLong(w, c.Revision);
                break;
            case LeaseGrantCommand g:
                WriteByte(w, LeaseGrantType);
                WriteLong(w, g.Id);
                WriteLong(w, g.Ttl);
                break;
            case LeaseRevokeCommand r:
                WriteByte(w, LeaseRevokeType);
                WriteLong(w, r.Id);
                break;
            case LeaseKeepAliveCommand k:
                WriteByte(w, LeaseKeepAliveType);
                WriteLong(w, k.Id);
                break;
            default:
                throw new ArgumentException($"Unknown command {command.GetType().Name}.", nameof(command));
        }
        return w.WrittenSpan.ToArray();
    }

    public static StoreCommand Decode(ReadOnlySpan<byte> data)
    {
        var r = new Reader(data);
        var type = r.ReadByte();
        StoreCommand command = type switch
        {
            TxnType => new TxnCommand(ReadTxn(ref r, 0)),
            CompactType => new CompactCommand(r.ReadLong()),
            LeaseGrantType => new LeaseGrantCommand(r.ReadLong(), r.ReadLong()),
            LeaseRevokeType => new LeaseRevokeCommand(r.ReadLong()),
            LeaseKeepAliveType => new LeaseKeepAliveCommand(r.ReadLong()),
            _ => throw new InvalidDataException($"Unknown store command type {type}."),
        };
        if (!r.AtEnd)
        {
            throw new InvalidDataException("Trailing bytes after a store command.");
        }
        return command;
    }

    private static void WriteTxn(ArrayBufferWriter<byte> w, TxnRequest txn)
    {
        WriteLong(w, txn.Compares.Count);
        foreach (var c in txn.Compares)
        {
            WriteBytes(w, c.Key);
            WriteBytes(w, c.RangeEnd);
            WriteByte(w, (byte)c.Target);
            WriteByte(w, (byte)c.Result);
            WriteLong(w, c.Version);
            WriteLong(w, c.CreateRevision);
            WriteLong(w, c.ModRevision);
            WriteBytes(w, c.Value);
            WriteLong(w, c.Lease);
        }
        WriteOps(w, txn.Success);
        WriteOps(w, txn.Failure);
    }

    private static void WriteOps(ArrayBufferWriter<byte> w, IReadOnlyList<RequestOp> ops)
    {
        WriteLong(w, ops.Count);
        foreach (var op in ops)
        {
            if (op.Range is { } range)
            {
                WriteByte(w, OpRange);
                WriteBytes(w, range.Key);
                WriteBytes(w, range.RangeEnd);
                WriteLong(w, range.Limit);
                WriteLong(w, range.Revision);
                WriteByte(w, (byte)range.SortOrder);
                WriteByte(w, (byte)range.SortTarget);
                WriteByte(w, Flags(range.Serializable, range.KeysOnly, range.CountOnly));
                WriteLong(w, range.MinModRevision);
                WriteLong(w, range.MaxModRevision);
                WriteLong(w, range.MinCreateRevision);
                WriteLong(w, range.MaxCreateRevision);
            }
            else if (op.Put is { } put)
            {
                WriteByte(w, OpPut);
                WriteBytes(w, put.Key);
                WriteBytes(w, put.Value);
                WriteLong(w, put.Lease);
                WriteByte(w, Flags(put.PrevKv, put.IgnoreValue, put.IgnoreLease));
            }
            else if (op.DeleteRange is { } del)
            {
                WriteByte(w, OpDelete);
                WriteBytes(w, del.Key);
                WriteBytes(w, del.RangeEnd);
                WriteByte(w, Flags(del.PrevKv, false, false));
            }
            else if (op.Txn is { } txn)
            {
                WriteByte(w, OpTxn);
                WriteTxn(w, txn);
            }
            else
            {
                throw new ArgumentException("A txn operation has no request set.");
            }
        }
    }

    private static TxnRequest ReadTxn(ref Reader r, int depth)
    {
        if (depth > 64)
        {
            throw new InvalidDataException("Txn nesting is too deep.");
        }
        var compareCount = r.ReadCount();
        var compares = new Compare[compareCount];
        for (var i = 0; i < compareCount; i++)
        {
            var key = r.ReadBytes() ?? [];
            var end = r.ReadBytes();
            var target = (CompareTarget)r.ReadByte();
            var result = (CompareResult)r.ReadByte();
            compares[i] = new Compare(key, target, result)
            {
                RangeEnd = end,
                Version = r.ReadLong(),
                CreateRevision = r.ReadLong(),
                ModRevision = r.ReadLong(),
                Value = r.ReadBytes(),
                Lease = r.ReadLong(),
            };
        }
        var success = ReadOps(ref r, depth);
        var failure = ReadOps(ref r, depth);
        return new TxnRequest { Compares = compares, Success = success, Failure = failure };
    }

    private static RequestOp[] ReadOps(ref Reader r, int depth)
    {
        var count = r.ReadCount();
        var ops = new RequestOp[count];
        for (var i = 0; i < count; i++)
        {
            var tag = r.ReadByte();
            switch (tag)
            {
                case OpRange:
                {
                    var key = r.ReadBytes() ?? [];
                    var end = r.ReadBytes();
                    var limit = r.ReadLong();
                    var rev = r.ReadLong();
                    var order = (SortOrder)r.ReadByte();
                    var target = (SortTarget)r.ReadByte();
                    var flags = r.ReadByte();
                    ops[i] = new RequestOp
                    {
                        Range = new RangeRequest(key)
                        {
                            RangeEnd = end, Limit = limit, Revision = rev, SortOrder = order, SortTarget = target,
                            Serializable = (flags & 1) != 0, KeysOnly = (flags & 2) != 0, CountOnly = (flags & 4) != 0,
                            MinModRevision = r.ReadLong(), MaxModRevision = r.ReadLong(),
                            MinCreateRevision = r.ReadLong(), MaxCreateRevision = r.ReadLong(),
                        },
                    };
                    break;
                }
                case OpPut:
                {
                    var key = r.ReadBytes() ?? [];
                    var value = r.ReadBytes() ?? [];
                    var lease = r.ReadLong();
                    var flags = r.ReadByte();
                    ops[i] = new RequestOp
                    {
                        Put = new PutRequest(key, value)
                        {
                            Lease = lease, PrevKv = (flags & 1) != 0, IgnoreValue = (flags & 2) != 0, IgnoreLease = (flags & 4) != 0,
                        },
                    };
                    break;
                }
                case OpDelete:
                {
                    var key = r.ReadBytes() ?? [];
                    var end = r.ReadBytes();
                    var flags = r.ReadByte();
                    ops[i] = new RequestOp { DeleteRange = new DeleteRangeRequest(key) { RangeEnd = end, PrevKv = (flags & 1) != 0 } };
                    break;
                }
                case OpTxn:
                    ops[i] = new RequestOp { Txn = ReadTxn(ref r, depth + 1) };
                    break;
                default:
                    throw new InvalidDataException($"Unknown txn operation tag {tag}.");
            }
        }
        return ops;
    }

    private static byte Flags(bool a, bool b, bool c) => (byte)((a ? 1 : 0) | (b ? 2 : 0) | (c ? 4 : 0));

    private static void WriteByte(ArrayBufferWriter<byte> w, byte value)
    {
        w.GetSpan(1)[0] = value;
        w.Advance(1);
    }

    private static void WriteLong(ArrayBufferWriter<byte> w, long value)
    {
        var span = w.GetSpan(10);
        var v = (ulong)value;
        var n = 0;
        while (v >= 0x80)
        {
            span[n++] = (byte)(v | 0x80);
            v >>= 7;
        }
        span[n++] = (byte)v;
        w.Advance(n);
    }

    private static void WriteBytes(ArrayBufferWriter<byte> w, byte[]? value)
    {
        if (value is null)
        {
            WriteLong(w, 0);
            return;
        }
        WriteLong(w, value.Length + 1L);
        w.Write(value);
    }

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _pos;

        public readonly bool AtEnd => _pos == _data.Length;

        public byte ReadByte()
        {
            if (_pos >= _data.Length)
            {
                throw new InvalidDataException("Truncated store command.");
            }
            return _data[_pos++];
        }

        public long ReadLong()
        {
            ulong result = 0;
            for (var shift = 0; shift < 70; shift += 7)
            {
                var b = ReadByte();
                result |= (ulong)(b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                {
                    return (long)result;
                }
            }
            throw new InvalidDataException("Malformed varint in a store command.");
        }

        public int ReadCount()
        {
            var n = ReadLong();
            if (n < 0 || n > _data.Length - _pos)
            {
                throw new InvalidDataException("Malformed count in a store command.");
            }
            return (int)n;
        }

        public byte[]? ReadBytes()
        {
            var n = ReadLong();
            if (n == 0)
            {
                return null;
            }
            var len = n - 1;
            if (len < 0 || len > _data.Length - _pos)
            {
                throw new InvalidDataException("Malformed byte string in a store command.");
            }
            var bytes = _data.Slice(_pos, (int)len).ToArray();
            _pos += (int)len;
            return bytes;
        }
    }
}
