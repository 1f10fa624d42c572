using System.Buffers.Binary;
using System.Text;

namespace SlicerBridge.Host.Tests.Hostile;

/// <summary>Writes pickle opcodes one by one (protocol 2), for state dicts no honest torch.save would produce.</summary>
internal sealed class PickleOps
{
    private readonly MemoryStream _s = new();

    public PickleOps() => Op(0x80, 2);

    public PickleOps Op(params byte[] bytes) { _s.Write(bytes); return this; }
    public PickleOps Str(string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        Op((byte)'X').U32((uint)b.Length);
        _s.Write(b);
        return this;
    }
    public PickleOps Int(long v)
    {
        if (v is >= int.MinValue and <= int.MaxValue) return Op((byte)'J').U32((uint)(int)v);
        Op(0x8a, 8);
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(b, v);
        _s.Write(b);
        return this;
    }
    public PickleOps U32(uint v)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        _s.Write(b);
        return this;
    }
    public PickleOps Global(string module, string name) { Op((byte)'c'); _s.Write(Encoding.ASCII.GetBytes($"{module}\n{name}\n")); return this; }
    public PickleOps Mark() => Op((byte)'(');
    public PickleOps Tuple() => Op((byte)'t');
    public PickleOps EmptyDict() => Op((byte)'}');
    public PickleOps SetItem() => Op((byte)'s');
    public PickleOps SetItems() => Op((byte)'u');
    public PickleOps Reduce() => Op((byte)'R');
    public PickleOps Put(uint index) => Op((byte)'r').U32(index);
    public PickleOps Get(uint index) => Op((byte)'j').U32(index);

    /// <summary>Pushes <c>_rebuild_tensor_v2</c> of a float storage <paramref name="key"/> with the given numbers, unchecked.</summary>
    public PickleOps Tensor(string key, long storageNumel, long[] shape, long[] stride, long offset = 0)
    {
        Global("torch._utils", "_rebuild_tensor_v2").Mark();
        Mark().Str("storage").Global("torch", "FloatStorage").Str(key).Str("cpu").Int(storageNumel).Tuple().Op((byte)'Q');
        Int(offset);
        Mark(); foreach (var d in shape) Int(d); Tuple();
        Mark(); foreach (var s in stride) Int(s); Tuple();
        Op(0x89).Global("collections", "OrderedDict").Op((byte)')').Reduce();
        return Tuple().Reduce();
    }

    /// <summary>Appends the opcodes of <paramref name="other"/> (without its PROTO header).</summary>
    public PickleOps Append(PickleOps other)
    {
        _s.Write(other._s.GetBuffer().AsSpan(2, (int)other._s.Length - 2));
        return this;
    }

    public byte[] Stop() { Op((byte)'.'); return _s.ToArray(); }

    /// <summary>A torch-style archive: <c>archive/data.pkl</c> and float32 storages <c>archive/data/KEY</c>.</summary>
    public static byte[] Archive(byte[] pickle, params (string Key, float[] Values)[] storages) =>
        TestZip.Build([new TestZipEntry("archive/data.pkl", pickle),
            .. storages.Select(s => new TestZipEntry("archive/data/" + s.Key, s.Values.SelectMany(BitConverter.GetBytes).ToArray()))]);
}
