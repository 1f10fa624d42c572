using System.Buffers;
using System.Text;
using SlicerBridge.Protocol;

namespace SlicerBridge.Protocol.Tests;

/// <summary>Byte-exact vectors from the spec (openigtlink.md §1.2, §1.3, §2.3).</summary>
public class WireVectorTests
{
    private const string StringV2Example =
        "000253545249" + "4e4700000000000050" + "72" +
        "6f6d7074000000000000000000000000" +
        "00006553f10080000000000000000000" +
        "0024f7395536c5139f8c000c000a0000" +
        "00080000000000030002686900010006" +
        "0003000000025374617475734f4b";

    internal static IgtlMessage ParseAll(byte[] bytes, IgtlReaderOptions? options = null)
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes));
        var o = options ?? IgtlReaderOptions.Default;
        Assert.True(IgtlFrameReader.TryReadFrame(ref reader, o, out var header, out var body));
        Assert.Equal(0, reader.Remaining);
        return IgtlMessageParser.Parse(header, body, o);
    }

    [Fact]
    public void Crc64CheckValue() =>
        Assert.Equal(0x6C40DF5F0B497347UL, IgtlCrc.Compute(Encoding.ASCII.GetBytes("123456789")));

    /// <summary>The bit-serial definition (MSB-first, init 0, no final XOR), as the OpenIGTLink specification states it.</summary>
    private static ulong BitSerialCrc64(ReadOnlySpan<byte> data)
    {
        const ulong polynomial = 0x42F0E1EBA9EA3693UL;
        ulong crc = 0;
        foreach (byte b in data)
        {
            crc ^= (ulong)b << 56;
            for (int bit = 0; bit < 8; bit++) crc = (crc & (1UL << 63)) != 0 ? (crc << 1) ^ polynomial : crc << 1;
        }
        return crc;
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex) { Memory = memory; RunningIndex = runningIndex; }
        public Segment Append(ReadOnlyMemory<byte> memory) { var next = new Segment(memory, RunningIndex + Memory.Length); Next = next; return next; }
    }

    /// <summary><paramref name="data"/> as a sequence of segments of <paramref name="size"/> bytes (the last one shorter).</summary>
    private static ReadOnlySequence<byte> Segmented(byte[] data, int size)
    {
        var first = new Segment(data.AsMemory(0, Math.Min(size, data.Length)), 0);
        var last = first;
        for (int at = size; at < data.Length; at += size) last = last.Append(data.AsMemory(at, Math.Min(size, data.Length - at)));
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    [Fact]
    public void Crc64EqualsTheDefinitionForEverySplitAndLength()
    {
        var data = new byte[1000];
        new Random(7).NextBytes(data);
        for (int length = 0; length < 300; length += 7)
            Assert.Equal(BitSerialCrc64(data.AsSpan(0, length)), IgtlCrc.Compute(data.AsSpan(0, length)));
        ulong whole = BitSerialCrc64(data);
        Assert.Equal(whole, IgtlCrc.Compute(data));
        var bytewise = new System.IO.Hashing.Crc64();
        foreach (byte b in data) bytewise.Append([b]);
        Assert.Equal(whole, bytewise.GetCurrentHashAsUInt64());
        for (int split = 0; split < 40; split++)
        {
            var two = new System.IO.Hashing.Crc64();
            two.Append(data.AsSpan(0, split));
            two.Append(data.AsSpan(split));
            Assert.Equal(whole, two.GetCurrentHashAsUInt64());
            Assert.Equal(whole, IgtlCrc.Compute(Segmented(data, split + 1)));
        }
        Assert.Equal(0UL, IgtlCrc.Compute([]));
    }

    [Fact]
    public void StringV2WorkedExampleIsWrittenByteExact()
    {
        var m = new StringMessage { DeviceName = "Prompt", Value = "hi", HeaderVersion = 2,
            Timestamp = IgtlTimestamp.FromDateTimeOffset(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_500)) };
        m.Metadata.Set("Status", "OK", IgtlMetadata.EncodingUsAscii);
        byte[] bytes = IgtlMessageWriter.ToArray(m);
        Assert.Equal(94, bytes.Length);
        Assert.Equal(StringV2Example, Convert.ToHexString(bytes).ToLowerInvariant());
    }

    [Fact]
    public void StringV2WorkedExampleIsParsed()
    {
        var m = Assert.IsType<StringMessage>(ParseAll(Convert.FromHexString(StringV2Example)));
        Assert.Equal("Prompt", m.DeviceName);
        Assert.Equal("hi", m.Value);
        Assert.Equal(3, m.Encoding);
        Assert.Equal(2, m.HeaderVersion);
        Assert.Equal(0x6553F100u, m.Timestamp.Seconds);
        Assert.Equal(0x80000000u, m.Timestamp.Fraction);
        Assert.Equal(1_700_000_000_500, m.Timestamp.ToDateTimeOffset().ToUnixTimeMilliseconds());
        Assert.Equal("OK", m.Metadata["Status"]);
        Assert.True(m.Metadata.TryGetEntry("Status", out var entry));
        Assert.Equal(IgtlMetadata.EncodingUsAscii, entry.Encoding);
    }

    [Fact]
    public void Version1HeaderVector()
    {
        var m = new StatusMessage { HeaderVersion = 1, DeviceName = "Dev", Code = IgtlStatusCode.Ok, Message = "" };
        byte[] bytes = IgtlMessageWriter.ToArray(m);
        // STATUS v1 with empty message: 30-byte head + terminating NUL.
        var expectedHeaderStart = "0001" + "535441545553000000000000" + "446576" + new string('0', 34) + "0000000000000000" + "000000000000001f";
        Assert.Equal(expectedHeaderStart, Convert.ToHexString(bytes, 0, 50).ToLowerInvariant());
        Assert.Equal(58 + 31, bytes.Length);
        var header = IgtlHeader.Decode(bytes);
        Assert.Equal(IgtlCrc.Compute(bytes.AsSpan(58)), header.Crc);
        Assert.Equal(("STATUS", "Dev", (ushort)1, 31UL), (header.MessageType, header.DeviceName, header.Version, header.BodySize));
    }

    [Fact]
    public void ImageWorkedExampleWireFieldsFromSlicerIjkToRas()
    {
        var pixels = new byte[512 * 512 * 100 * 2];
        using var m = new ImageMessage("MRHead", IgtlScalarType.Int16, 1, 512, 512, 100, pixels);
        m.SetIjkToRas([-0.7, 0, 0, 179.6, 0, -0.7, 0, 179.6, 0, 0, 2.5, -300]);
        float[] expected = [-0.7f, 0, 0, 0, -0.7f, 0, 0, 0, 2.5f, 0.75f, 0.75f, -176.25f];
        for (int i = 0; i < 12; i++) Assert.Equal(expected[i], m.WireMatrix[i], 1e-4f);
        m.HeaderVersion = 1;
        byte[] bytes = IgtlMessageWriter.ToArray(m);
        var head = bytes.AsSpan(58, 12).ToArray();
        Assert.Equal("0001" + "01" + "04" + "02" + "01" + "0200" + "0200" + "0064", Convert.ToHexString(head).ToLowerInvariant());
        var sub = Convert.ToHexString(bytes, 58 + 60, 12).ToLowerInvariant();
        Assert.Equal("000000000000" + "020002000064", sub);
        using var back = Assert.IsType<ImageMessage>(ParseAll(bytes));
        var ijk = back.GetIjkToRas();
        Assert.Equal(179.6, ijk[3], 1e-4);
        Assert.Equal(179.6, ijk[7], 1e-4);
        Assert.Equal(-300, ijk[11], 1e-4);
        Assert.Equal(-0.7, ijk[0], 1e-6);
    }
}
