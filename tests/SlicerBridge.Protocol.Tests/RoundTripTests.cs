using System.Runtime.InteropServices;
using SlicerBridge.Protocol;

namespace SlicerBridge.Protocol.Tests;

public class RoundTripTests
{
    private static T RoundTrip<T>(T message) where T : IgtlMessage =>
        Assert.IsType<T>(WireVectorTests.ParseAll(IgtlMessageWriter.ToArray(message)));

    public static TheoryData<ushort> Versions => new() { 1, 2 };

    [Theory, MemberData(nameof(Versions))]
    public void Point(ushort version)
    {
        var m = new PointMessage { DeviceName = "PromptPos", HeaderVersion = version };
        m.Points.Add(new PointElement("F-1", "Selected", 255, 0, 0, 255, 1.5f, -2.25f, 30f, 0f, ""));
        m.Points.Add(new PointElement("-neg", "Unselected", 1, 2, 3, 0, -1e3f, 0f, 7f, 2f, "MRHead"));
        var back = RoundTrip(m);
        Assert.Equal(m.Points, back.Points);
        Assert.Equal(version, back.HeaderVersion);
    }

    [Theory, MemberData(nameof(Versions))]
    public void Transform(ushort version)
    {
        var m = new TransformMessage { DeviceName = "T", HeaderVersion = version };
        m.SetMatrix([0, -1, 0, 10, 1, 0, 0, -20, 0, 0, 1, 30.5]);
        var back = RoundTrip(m);
        Assert.Equal(m.Matrix, back.Matrix);
        Assert.Equal(m.GetMatrix(), back.GetMatrix());
        Assert.Equal(-1f, back.Matrix[3]); // column-major on the wire: R12
    }

    [Theory, MemberData(nameof(Versions))]
    public void StatusAndString(ushort version)
    {
        var s = RoundTrip(new StatusMessage { HeaderVersion = version, Code = IgtlStatusCode.ChecksumError, SubCode = -42, ErrorName = "CRC", Message = "bad ünïcode" });
        Assert.Equal((IgtlStatusCode.ChecksumError, -42L, "CRC", "bad ünïcode"), (s.Code, s.SubCode, s.ErrorName, s.Message));
        var t = RoundTrip(new StringMessage { HeaderVersion = version, Value = "{\"a\": 1} é" });
        Assert.Equal("{\"a\": 1} é", t.Value);
    }

    [Fact]
    public void CommandAndRtsCommandWithMetadataAndMessageId()
    {
        var c = new CommandMessage { DeviceName = "command", CommandId = 7, CommandName = "Segment", Content = "{\"x\":1}", MessageId = 99 };
        c.Metadata.Set("Status", "SUCCESS");
        c.Metadata.Set("A", "first");
        var back = RoundTrip(c);
        Assert.Equal((7u, "Segment", "{\"x\":1}", 99u), (back.CommandId, back.CommandName, back.Content, back.MessageId));
        Assert.Equal(["A", "Status"], back.Metadata.Select(kv => kv.Key));
        var r = RoundTrip(new RtsCommandMessage { CommandId = 7, CommandName = "Segment", Content = "ok" });
        Assert.Equal("RTS_COMMAND", r.MessageType);
        Assert.Equal(7u, r.CommandId);
    }

    [Fact]
    public void CapabilityQueryRtsAndUnknown()
    {
        var cap = new CapabilityMessage();
        cap.Types.AddRange(["IMAGE", "POINT", "GET_CAPABIL"]);
        Assert.Equal(cap.Types, RoundTrip(cap).Types);
        var q = RoundTrip(new QueryMessage("GET_STATUS") { DeviceName = "x" });
        Assert.Equal(("GET_", "STATUS", 0), (q.Prefix, q.BaseType, q.Content.Length));
        var rts = RoundTrip(new RtsMessage("RTS_IMAGE") { Content = [1] });
        Assert.Equal((byte)1, rts.Status);
        // Unknown type: body skipped by size.
        var raw = IgtlMessageWriter.ToArray(new RtsMessage("RTS_X") { Content = [1, 2, 3], HeaderVersion = 1 });
        "NDARRAY\0\0\0\0\0"u8.CopyTo(raw.AsSpan(2));
        IgtlHeader h = IgtlHeader.Decode(raw);
        var unknown = Assert.IsType<UnknownMessage>(WireVectorTests.ParseAll(raw));
        Assert.Equal(("NDARRAY", 3UL), (unknown.MessageType, unknown.BodySize));
        Assert.Equal(h.BodySize, unknown.BodySize);
    }

    public static TheoryData<IgtlScalarType, IgtlEndianness, int> ImageCases()
    {
        var d = new TheoryData<IgtlScalarType, IgtlEndianness, int>();
        foreach (var t in Enum.GetValues<IgtlScalarType>())
            foreach (var e in Enum.GetValues<IgtlEndianness>())
                d.Add(t, e, t == IgtlScalarType.UInt8 ? 3 : 1);
        return d;
    }

    [Theory, MemberData(nameof(ImageCases))]
    public void ImageEveryScalarTypeAndEndianness(IgtlScalarType type, IgtlEndianness endianness, int components)
    {
        const int si = 5, sj = 4, sk = 3;
        int size = IgtlScalarTypes.SizeOf(type);
        var host = new byte[si * sj * sk * components * size];
        new Random((int)type).NextBytes(host);
        var wire = (byte[])host.Clone();
        if (size > 1 && (endianness == IgtlEndianness.Little) != BitConverter.IsLittleEndian)
            for (int i = 0; i < wire.Length; i += size) Array.Reverse(wire, i, size);
        using var m = new ImageMessage("Vol", type, components, si, sj, sk, wire, endianness);
        using var back = RoundTrip(m);
        Assert.Equal((type, endianness, components, si, sj, sk), (back.ScalarType, back.PixelEndianness, back.Components, back.SizeI, back.SizeJ, back.SizeK));
        Assert.Equal(wire, back.Pixels.ToArray());
        var copy = new byte[host.Length];
        switch (size)
        {
            case 1: back.CopyPixelsTo<byte>(copy); break;
            case 2: back.CopyPixelsTo(MemoryMarshal.Cast<byte, short>(copy.AsSpan())); break;
            case 4: back.CopyPixelsTo(MemoryMarshal.Cast<byte, int>(copy.AsSpan())); break;
            default: back.CopyPixelsTo(MemoryMarshal.Cast<byte, double>(copy.AsSpan())); break;
        }
        Assert.Equal(host, copy);
    }

    [Fact]
    public void ObliqueAnisotropicGeometryRoundTripsInRasMm()
    {
        // Rotation about an oblique axis, spacing (0.8, 1.1, 3.0), origin somewhere in RAS.
        double a = 0.4, b = -0.3;
        double[,] rx = { { 1, 0, 0 }, { 0, Math.Cos(a), -Math.Sin(a) }, { 0, Math.Sin(a), Math.Cos(a) } };
        double[,] rz = { { Math.Cos(b), -Math.Sin(b), 0 }, { Math.Sin(b), Math.Cos(b), 0 }, { 0, 0, 1 } };
        double[] spacing = [0.8, 1.1, 3.0], origin = [-120.5, 33.25, -80.75];
        var ijk = new double[12];
        for (int r = 0; r < 3; r++)
        {
            for (int c = 0; c < 3; c++)
            {
                double v = 0;
                for (int k = 0; k < 3; k++) v += rz[r, k] * rx[k, c];
                ijk[r * 4 + c] = v * spacing[c];
            }
            ijk[r * 4 + 3] = origin[r];
        }
        using var m = new ImageMessage("Obl", IgtlScalarType.Int16, 1, 64, 48, 20, new byte[64 * 48 * 20 * 2]);
        m.SetIjkToRas(ijk);
        using var back = RoundTrip(m);
        var got = back.GetIjkToRas();
        for (int i = 0; i < 12; i++) Assert.Equal(ijk[i], got[i], 1e-3); // float32 on the wire
        // A far corner voxel lands where the source matrix puts it.
        for (int r = 0; r < 3; r++)
        {
            double expected = ijk[r * 4] * 63 + ijk[r * 4 + 1] * 47 + ijk[r * 4 + 2] * 19 + ijk[r * 4 + 3];
            double actual = got[r * 4] * 63 + got[r * 4 + 1] * 47 + got[r * 4 + 2] * 19 + got[r * 4 + 3];
            Assert.Equal(expected, actual, 1e-2);
        }
    }

    [Fact]
    public void LpsImageIsConvertedToRas()
    {
        using var m = new ImageMessage("L", IgtlScalarType.UInt8, 1, 3, 3, 3, new byte[27]);
        m.SetIjkToRas([1, 0, 0, 10, 0, 1, 0, 20, 0, 0, 1, 30]);
        m.CoordinateSystem = IgtlCoordinateSystem.Lps;
        var ras = m.GetIjkToRas();
        Assert.Equal([-1, 0, 0, -10, 0, -1, 0, -20, 0, 0, 1, 30], ras);
    }

    [Fact]
    public void SubVolumeRoundTrip()
    {
        using var m = new ImageMessage("S", IgtlScalarType.UInt16, 1, 10, 10, 10, new byte[2 * 3 * 4 * 2])
        { SubOffset = new IgtlIndex3(1, 2, 3), SubSize = new IgtlIndex3(2, 3, 4) };
        using var back = RoundTrip(m);
        Assert.Equal((new IgtlIndex3(1, 2, 3), new IgtlIndex3(2, 3, 4)), (back.SubOffset, back.SubSize));
    }
}
