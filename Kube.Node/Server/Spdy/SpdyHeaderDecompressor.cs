using System.Buffers.Binary;
using System.IO.Compression;

namespace Kube.Node.Server.Spdy;

/// <summary>
/// One direction's header decompression context: the blocks of a session are consecutive pieces of one zlib stream, which
/// usually uses SPDY/3's preset dictionary. .NET's zlib has no preset-dictionary API, so the raw deflate data is fed after
/// a synthetic stored block holding the dictionary: inflating that block puts the dictionary in the window, exactly where
/// a preset dictionary sits, and its output is skipped.
/// </summary>
internal sealed class SpdyHeaderDecompressor : IDisposable
{
    private readonly FeedStream _feed = new();
    private DeflateStream? _inflater;

    /// <summary>Decodes the next block from its compressed bytes (one frame's header block).</summary>
    /// <exception cref="InvalidDataException">The bytes are not the next piece of a valid zlib stream, or the block is malformed.</exception>
    public Dictionary<string, string> Decompress(ReadOnlySpan<byte> compressed)
    {
        if (_inflater is null)
        {
            // The zlib header (2 bytes, plus a 4-byte DICTID with FDICT) starts the first block.
            var have = compressed.ToArray();
            if (have.Length < 2)
            {
                throw new InvalidDataException("SPDY header block too short for a zlib header");
            }

            var (cmf, flg) = (have[0], have[1]);
            if ((cmf & 0x0F) != 8 || ((cmf << 8) | flg) % 31 != 0)
            {
                throw new InvalidDataException("SPDY header block does not start with a zlib (deflate) header");
            }

            var offset = 2;
            if ((flg & 0x20) != 0)
            {
                if (have.Length < 6)
                {
                    throw new InvalidDataException("SPDY header block too short for a zlib dictionary id");
                }

                var id = BinaryPrimitives.ReadUInt32BigEndian(have.AsSpan(2));
                if (id != SpdyHeaderDictionary.Adler32)
                {
                    throw new InvalidDataException($"SPDY header compression uses dictionary {id:x8}, not SPDY/3's ({SpdyHeaderDictionary.Adler32:x8})");
                }

                offset = 6;
                var dictionary = SpdyHeaderDictionary.Bytes.Span;
                var stored = new byte[5 + dictionary.Length];
                stored[0] = 0x00; // BFINAL 0, BTYPE 00 (stored), padded to the byte
                BinaryPrimitives.WriteUInt16LittleEndian(stored.AsSpan(1), (ushort)dictionary.Length);
                BinaryPrimitives.WriteUInt16LittleEndian(stored.AsSpan(3), (ushort)~dictionary.Length);
                dictionary.CopyTo(stored.AsSpan(5));
                _feed.Add(stored);
                _inflater = new DeflateStream(_feed, CompressionMode.Decompress, leaveOpen: true);
                _inflater.ReadExactly(new byte[dictionary.Length]);
            }

            _inflater ??= new DeflateStream(_feed, CompressionMode.Decompress, leaveOpen: true);
            _feed.Add(have.AsSpan(offset).ToArray());
        }
        else
        {
            _feed.Add(compressed.ToArray());
        }

        try
        {
            return SpdyHeaderBlock.Decode(_inflater);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException("SPDY header block ends before its last header");
        }
    }

    public void Dispose()
    {
        _inflater?.Dispose();
    }

    /// <summary>The compressed input so far; running dry in the middle of a block means the block was cut short.</summary>
    private sealed class FeedStream : Stream
    {
        private readonly Queue<byte[]> _chunks = new();
        private int _offset;

        public void Add(byte[] chunk)
        {
            if (chunk.Length > 0)
            {
                _chunks.Enqueue(chunk);
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            while (_chunks.Count > 0 && _offset == _chunks.Peek().Length)
            {
                _chunks.Dequeue();
                _offset = 0;
            }

            if (_chunks.Count == 0)
            {
                throw new InvalidDataException("SPDY header block ends before its last header");
            }

            var chunk = _chunks.Peek();
            var n = Math.Min(buffer.Length, chunk.Length - _offset);
            chunk.AsSpan(_offset, n).CopyTo(buffer);
            _offset += n;
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
