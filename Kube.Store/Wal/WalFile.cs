namespace Kube.Store.Wal;

/// <summary>
/// The file a log appends its records to, with zero-filled space allocated ahead of the end (as etcd preallocates its WAL
/// segments), so that an append overwrites blocks the file already has and its <c>fdatasync</c> flushes the data alone: an
/// append that grows the file also has to commit the new size to the file system's journal, which took about 1.5 times as
/// long on this project's test disk.
/// </summary>
/// <remarks>
/// <para>Records are written at <see cref="End"/> with positioned writes. Once less than half a chunk of zeros is left ahead,
/// a background task writes the next chunk of zeros (1 MiB, growing with the file up to 8 MiB) behind the current allocation
/// and syncs it; an append that would reach into the chunk being zeroed waits for it first, so the two never write the same
/// bytes.</para>
/// <para>So after a crash the file's tail after the last record is zeros (or a record torn by the crash, then zeros): recovery
/// stops at a record header of zeros without reporting a torn tail (<see cref="IsZero"/>). A log that is closed is cut at its
/// last record.</para>
/// </remarks>
internal sealed class WalFile : IDisposable
{
    private const long MinChunk = 1024 * 1024;
    private const long MaxChunk = 8 * 1024 * 1024;

    private readonly FileStream _file;
    private long _allocated;
    private long _zeroingFrom;
    private Task<long>? _zeroing;

    /// <param name="file">Opened for writing, unbuffered; it is owned (disposed) by this instance.</param>
    /// <param name="end">Where the next record goes: the end of the valid records; only zeros may follow it in the file.</param>
    public WalFile(FileStream file, long end)
    {
        _file = file;
        End = end;
        _allocated = Math.Max(end, file.Length);
    }

    /// <summary>The end of the records written so far.</summary>
    public long End { get; private set; }

    public string Name => _file.Name;

    /// <summary>Whether <paramref name="bytes"/> holds nothing but zeros (the preallocated tail of a file).</summary>
    public static bool IsZero(ReadOnlySpan<byte> bytes) => !bytes.ContainsAnyExcept((byte)0);

    /// <summary>Writes <paramref name="records"/> at <see cref="End"/>; durable after <see cref="Sync"/>.</summary>
    public void Append(ReadOnlySpan<byte> records)
    {
        if (_zeroing is { } zeroing && (zeroing.IsCompleted || End + records.Length > _zeroingFrom))
        {
            _allocated = zeroing.GetAwaiter().GetResult();
            _zeroing = null;
        }
        RandomAccess.Write(_file.SafeFileHandle, records, End);
        End += records.Length;
        if (_zeroing is null && _allocated - End < Chunk / 2)
        {
            var from = Math.Max(_allocated, End);
            var to = from + Chunk;
            var handle = _file.SafeFileHandle;
            _zeroingFrom = from;
            _zeroing = Task.Run(() =>
            {
                var zeros = new byte[64 * 1024];
                for (var at = from; at < to; at += zeros.Length)
                {
                    RandomAccess.Write(handle, zeros.AsSpan(0, (int)Math.Min(zeros.Length, to - at)), at);
                }
                RandomAccess.FlushToDisk(handle);
                return to;
            });
        }
    }

    private long Chunk => Math.Clamp(_allocated, MinChunk, MaxChunk);

    /// <summary>Makes what was appended durable (<see cref="FileSync.FlushData"/>).</summary>
    public void Sync() => FileSync.FlushData(_file);

    /// <summary>Cuts the file at <see cref="End"/> (the zeros ahead go) and fsyncs it: before the file stops being the one appended to.</summary>
    public void Trim()
    {
        FinishZeroing();
        _file.SetLength(End);
        _file.Flush(flushToDisk: true);
        _allocated = End;
    }

    private void FinishZeroing()
    {
        if (_zeroing is { } zeroing)
        {
            _zeroing = null;
            _allocated = zeroing.GetAwaiter().GetResult();
        }
    }

    /// <summary>Cuts the zeros ahead of <see cref="End"/> (a closed log ends at its last record) and closes the file.</summary>
    public void Dispose()
    {
        try
        {
            FinishZeroing();
            if (_allocated > End)
            {
                _file.SetLength(End);
            }
        }
        catch (IOException)
        {
            // Zeros left ahead of the end: recovery skips them.
        }
        finally
        {
            _file.Dispose();
        }
    }
}
