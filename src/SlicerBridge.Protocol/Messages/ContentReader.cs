using System.Buffers.Binary;
using System.Text;

namespace SlicerBridge.Protocol;

/// <summary>Big-endian cursor over a message's content; running out of bytes is a malformed message.</summary>
internal ref struct ContentReader(ReadOnlySpan<byte> content, in IgtlHeader header)
{
    private ReadOnlySpan<byte> _rest = content;
    private readonly IgtlHeader _header = header;

    public readonly int Remaining => _rest.Length;

    public ReadOnlySpan<byte> Take(int count, string field)
    {
        if (count < 0 || count > _rest.Length)
            throw new IgtlMalformedMessageException(_header, IgtlRejectReason.ContentTooShort,
                $"content ends before {field} ({count} bytes needed, {_rest.Length} left)");
        var s = _rest[..count];
        _rest = _rest[count..];
        return s;
    }

    public byte U8(string field) => Take(1, field)[0];
    public ushort U16(string field) => BinaryPrimitives.ReadUInt16BigEndian(Take(2, field));
    public uint U32(string field) => BinaryPrimitives.ReadUInt32BigEndian(Take(4, field));
    public long I64(string field) => BinaryPrimitives.ReadInt64BigEndian(Take(8, field));
    public float F32(string field) => BinaryPrimitives.ReadSingleBigEndian(Take(4, field));
    public string Fixed(int size, string field) => FixedAscii.Read(Take(size, field));
    public string Text(int size, string field) => Encoding.UTF8.GetString(Take(size, field));
}

/// <summary>Big-endian writer over a span.</summary>
internal ref struct ContentWriter(Span<byte> destination)
{
    private Span<byte> _rest = destination;

    public void U8(byte v) { _rest[0] = v; _rest = _rest[1..]; }
    public void U16(ushort v) { BinaryPrimitives.WriteUInt16BigEndian(_rest, v); _rest = _rest[2..]; }
    public void U32(uint v) { BinaryPrimitives.WriteUInt32BigEndian(_rest, v); _rest = _rest[4..]; }
    public void I64(long v) { BinaryPrimitives.WriteInt64BigEndian(_rest, v); _rest = _rest[8..]; }
    public void F32(float v) { BinaryPrimitives.WriteSingleBigEndian(_rest, v); _rest = _rest[4..]; }
    public void Fixed(string? v, int size) { FixedAscii.Write(v, _rest[..size]); _rest = _rest[size..]; }
    public void Bytes(ReadOnlySpan<byte> v) { v.CopyTo(_rest); _rest = _rest[v.Length..]; }
}
