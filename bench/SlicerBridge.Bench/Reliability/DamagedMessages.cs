using System.Buffers.Binary;
using SlicerBridge.Protocol;

namespace SlicerBridge.Bench.Reliability;

/// <summary>How a message was damaged, and whether the stream can still be framed after it.</summary>
internal enum Damage
{
    /// <summary>Bits flipped in the body, CRC left as it was (the CRC check must catch it).</summary>
    BodyBitFlips,
    /// <summary>Body bytes changed and the CRC recomputed, so the content parsers see the damage.</summary>
    BodyRewritten,
    /// <summary>v2 extended-header / metadata size fields changed, CRC recomputed.</summary>
    SizeFieldsRewritten,
    /// <summary>Device name and type name overwritten with garbage (the header CRC covers only the body).</summary>
    HeaderNames,
    // ---- from here on the stream cannot be resynchronised: only ever the last message of a connection ----
    /// <summary>Header version other than 1 and 2.</summary>
    Version,
    /// <summary>BODY_SIZE changed (bigger than the limit, or off by a few bytes).</summary>
    BodySize,
    /// <summary>The message cut short, then the connection half-closed.</summary>
    Truncated,
    /// <summary>Random bytes where a header should be.</summary>
    Garbage,
}

/// <summary>
/// Valid frames of every message type the server may meet, in both header versions, and the damage done to them.
/// Every damaged message is made fresh from a seeded generator (each run is reproducible, no two are alike).
/// </summary>
internal static class DamagedMessages
{
    public const int FramingIntactKinds = (int)Damage.Version;

    /// <summary>(type, v1 frame, v2 frame) for each base message.</summary>
    public static IReadOnlyList<(string Type, byte[] V1, byte[] V2)> Bases { get; } = MakeBases();

    private static IReadOnlyList<(string, byte[], byte[])> MakeBases()
    {
        var list = new List<(string, byte[], byte[])>();
        void Add(Func<IgtlMessage> make)
        {
            using var a = make();
            a.HeaderVersion = 1;
            var v1 = IgtlMessageWriter.ToArray(a);
            using var b = make();
            b.HeaderVersion = 2;
            b.Metadata.Set("Soak", "metadata value");
            var v2 = IgtlMessageWriter.ToArray(b);
            list.Add((a.MessageType, v1, v2));
        }
        Add(() => Image("vol", 8, 8, 8));
        Add(() => Image("big", 48, 48, 32)); // above the streamed-IMAGE threshold
        Add(() =>
        {
            var p = new PointMessage { DeviceName = "PromptPos" };
            p.Points.Add(new PointElement("P0", "Fiducial", 255, 0, 0, 255, 1.5f, 2.5f, 3.5f, 1, ""));
            p.Points.Add(new PointElement("-N", "Fiducial", 0, 0, 255, 255, 4f, 5f, 6f, 1, ""));
            return p;
        });
        Add(() => { var t = new TransformMessage { DeviceName = "Probe" }; t.SetMatrix([1, 0, 0, 10, 0, 1, 0, 20, 0, 0, 1, 30]); return t; });
        Add(() => new StringMessage { DeviceName = "Text", Value = "hello soak" });
        Add(() => new StatusMessage { DeviceName = "Status", Code = IgtlStatusCode.Ok, Message = "fine" });
        Add(() => new CommandMessage { DeviceName = "command", CommandId = 7, CommandName = "Segment",
            Content = """{"volume":"vol","points":[{"ras":[1,2,3],"label":1}],"roi":{"center":[0,0,0],"size":[5,5,5]}}""" });
        Add(() => new CommandMessage { DeviceName = "command", CommandId = 8, CommandName = "SetRoi", Content = """{"center":[1,2,3],"size":[4,4,4]}""" });
        Add(() => new RtsCommandMessage { DeviceName = "command", CommandId = 9, CommandName = "Segment", Content = "{}" });
        Add(() => { var c = new CapabilityMessage { DeviceName = "cap" }; c.Types.AddRange(["IMAGE", "POINT"]); return c; });
        Add(() => new QueryMessage("GET_STATUS"));
        Add(() => new QueryMessage("GET_CAPABIL"));
        Add(() => new QueryMessage("GET_IMAGE") { DeviceName = "vol" });
        Add(() => new RtsMessage("RTS_TDATA") { Content = [1] });
        return list;
    }

    private static ImageMessage Image(string name, int ni, int nj, int nk)
    {
        var pixels = new byte[ni * nj * nk * 2];
        for (int v = 0; v < pixels.Length / 2; v++) BinaryPrimitives.WriteInt16LittleEndian(pixels.AsSpan(2 * v), (short)(v % 300));
        var m = new ImageMessage(name, IgtlScalarType.Int16, 1, ni, nj, nk, pixels);
        m.SetIjkToRas([0.9, 0, 0, -5, 0, 0.9, 0, 7, 0, 0, 1.5, 3]);
        return m;
    }

    /// <summary>A damaged copy of a random base message. <paramref name="damage"/> picks how.</summary>
    public static byte[] Make(Random rng, Damage damage, out string type)
    {
        // The streamed-path IMAGE (147 KiB) is one pick in 200, the rest are small: the soak is about many messages.
        int pick = rng.Next(200) == 0 ? 1 : rng.Next(Bases.Count - 1) is var p && p >= 1 ? p + 1 : p;
        var (baseType, v1, v2) = Bases[pick];
        type = baseType;
        bool version2 = rng.Next(2) == 0;
        byte[] frame = (version2 ? v2 : v1).ToArray();
        int body = frame.Length - IgtlHeaderLayout.Size;
        if (body == 0 && damage < Damage.HeaderNames) damage = Damage.HeaderNames; // an empty body (a v1 query) has only its header to damage
        switch (damage)
        {
            case Damage.BodyBitFlips:
                for (int n = 1 + rng.Next(4); n > 0; n--) frame[IgtlHeaderLayout.Size + rng.Next(body)] ^= (byte)(1 << rng.Next(8));
                break;
            case Damage.BodyRewritten:
                for (int n = 1 + rng.Next(8); n > 0; n--)
                {
                    // Mostly in the first bytes of the content, where the fields are; sometimes anywhere.
                    int at = IgtlHeaderLayout.Size + (rng.Next(4) == 0 ? rng.Next(body) : rng.Next(Math.Min(body, 160)));
                    frame[at] = (byte)rng.Next(256);
                }
                FixCrc(frame);
                break;
            case Damage.SizeFieldsRewritten:
                if (!version2 || body < IgtlHeaderLayout.ExtendedHeaderSize) goto case Damage.BodyRewritten;
                int field = rng.Next(3); // extended header size, metadata header size, metadata size
                int offset = IgtlHeaderLayout.Size + field * 2;
                if (field < 2) BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(offset), (ushort)rng.Next(65536));
                else BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(IgtlHeaderLayout.Size + IgtlHeaderLayout.MetaDataSizeOffset), (uint)rng.Next());
                FixCrc(frame);
                break;
            case Damage.HeaderNames:
                for (int i = 0; i < IgtlHeaderLayout.DeviceNameSize; i++)
                    frame[IgtlHeaderLayout.DeviceNameOffset + i] = (byte)rng.Next(256);
                if (rng.Next(2) == 0)
                    for (int i = 0; i < IgtlHeaderLayout.TypeSize; i++) frame[IgtlHeaderLayout.TypeOffset + i] = (byte)rng.Next(32, 127);
                break;
            case Damage.Version:
                BinaryPrimitives.WriteUInt16BigEndian(frame, (ushort)rng.Next(3, 65536));
                break;
            case Damage.BodySize:
                ulong size = rng.Next(2) == 0 ? (ulong)rng.NextInt64() : (ulong)Math.Max(0, body + rng.Next(-8, 9));
                if (size == (ulong)body) size++;
                BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(IgtlHeaderLayout.BodySizeOffset), size);
                break;
            case Damage.Truncated:
                frame = frame[..rng.Next(1, frame.Length)];
                break;
            case Damage.Garbage:
                frame = new byte[rng.Next(1, 200)];
                rng.NextBytes(frame);
                break;
        }
        return frame;
    }

    private static void FixCrc(byte[] frame) =>
        BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(IgtlHeaderLayout.CrcOffset), IgtlCrc.Compute(frame.AsSpan(IgtlHeaderLayout.Size)));

    /// <summary>A valid GET_STATUS: every framing-intact connection ends with one, so it is answered at least once.</summary>
    public static byte[] StatusProbe { get; } = IgtlMessageWriter.ToArray(new QueryMessage("GET_STATUS") { HeaderVersion = 1 });
}
