using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using Microsoft.Win32.SafeHandles;

namespace SlicerBridge.Inference.Checkpoints;

/// <summary>
/// The content of one zip entry (stored or deflated), read from the shared file handle with positioned reads so that
/// several entries can be read at once. It yields exactly the entry's declared size: inflation stops there, a shorter
/// stream is an error, and the CRC-32 is checked when the last byte has been read.
/// </summary>
internal sealed class ZipEntryStream : Stream
{
    private const uint LocalSignature = 0x04034b50;
    private const int LocalHeaderSize = 30;
    private const ushort Stored = 0, Deflated = 8, EncryptedFlag = 1;

    private readonly Stream _inner;
    private readonly ZipEntryInfo _entry;
    private readonly string _source;
    private readonly Crc32 _crc = new();
    private long _remaining;

    private ZipEntryStream(Stream inner, ZipEntryInfo entry, string source)
    {
        _inner = inner;
        _entry = entry;
        _source = source;
        _remaining = entry.Size;
    }

    public static ZipEntryStream Open(SafeFileHandle file, ZipEntryInfo entry, string source)
    {
        if ((entry.Flags & EncryptedFlag) != 0) throw Bad(source, entry, "is encrypted");
        if (entry.Method is not (Stored or Deflated)) throw Bad(source, entry, $"uses compression method {entry.Method} (stored and deflate are supported)");
        if (entry.Method == Stored && entry.CompressedSize != entry.Size) throw Bad(source, entry, "is stored with two different sizes");
        Span<byte> header = stackalloc byte[LocalHeaderSize];
        long length = RandomAccess.GetLength(file);
        if (entry.LocalHeaderOffset > length - LocalHeaderSize) throw Bad(source, entry, "has its header outside the file");
        ZipDirectory.ReadAt(file, header, entry.LocalHeaderOffset, source);
        if (BinaryPrimitives.ReadUInt32LittleEndian(header) != LocalSignature) throw Bad(source, entry, "has a broken local header");
        long dataOffset = entry.LocalHeaderOffset + LocalHeaderSize + BinaryPrimitives.ReadUInt16LittleEndian(header[26..]) + BinaryPrimitives.ReadUInt16LittleEndian(header[28..]);
        if (dataOffset > length || entry.CompressedSize > length - dataOffset) throw Bad(source, entry, "runs past the end of the file");
        Stream raw = new FileRange(file, dataOffset, entry.CompressedSize);
        return new ZipEntryStream(entry.Method == Deflated ? new DeflateStream(raw, CompressionMode.Decompress) : raw, entry, source);
    }

    public override int Read(Span<byte> buffer)
    {
        if (_remaining == 0 || buffer.IsEmpty) return 0;
        if (buffer.Length > _remaining) buffer = buffer[..(int)_remaining];
        int n;
        try { n = _inner.Read(buffer); }
        catch (InvalidDataException ex) { throw Bad(_source, _entry, $"has corrupt compressed data ({ex.Message})"); }
        if (n == 0) throw Bad(_source, _entry, $"ends {_remaining} bytes before its declared size of {_entry.Size}");
        _crc.Append(buffer[..n]);
        _remaining -= n;
        if (_remaining == 0 && _crc.GetCurrentHashAsUInt32() != _entry.Crc32)
            throw Bad(_source, _entry, "fails its CRC-32 check");
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <summary>Reads and checks the rest of the entry (so its CRC is verified even when only a prefix was needed).</summary>
    public void Drain()
    {
        var buffer = new byte[(int)Math.Min(_remaining, 1 << 16)];
        while (_remaining > 0) _ = Read(buffer.AsSpan()); // each call either makes progress or throws
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => _entry.Size;
    public override long Position { get => _entry.Size - _remaining; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _inner.Dispose();
        base.Dispose(disposing);
    }

    private static CheckpointException Bad(string source, ZipEntryInfo entry, string what) =>
        new($"{source}: archive entry '{Text.Clip(entry.Name)}' {what}.");

    /// <summary>A byte range of the file, read with positioned reads (no shared file position).</summary>
    private sealed class FileRange(SafeFileHandle file, long offset, long length) : Stream
    {
        private long _position;

        public override int Read(Span<byte> buffer)
        {
            if (buffer.Length > length - _position) buffer = buffer[..(int)(length - _position)];
            if (buffer.IsEmpty) return 0;
            int n = RandomAccess.Read(file, buffer, offset + _position);
            _position += n;
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long o, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int o, int count) => throw new NotSupportedException();
    }
}
