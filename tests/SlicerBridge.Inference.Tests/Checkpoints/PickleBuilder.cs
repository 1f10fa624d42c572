using System.IO.Compression;
using System.Text;

namespace SlicerBridge.Inference.Tests.Checkpoints;

/// <summary>Hand-assembles small pickles and PyTorch-style zip archives for loader tests.</summary>
internal sealed class PickleBuilder
{
    private readonly MemoryStream _s = new();

    public PickleBuilder() => Op(0x80, 2);
    public PickleBuilder Op(params byte[] bytes) { _s.Write(bytes); return this; }
    public PickleBuilder Str(string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        Op((byte)'X'); _s.Write(BitConverter.GetBytes(b.Length)); _s.Write(b);
        return this;
    }
    public PickleBuilder Int(byte v) => Op((byte)'K', v);
    public PickleBuilder Global(string module, string name) { Op((byte)'c'); _s.Write(Encoding.ASCII.GetBytes($"{module}\n{name}\n")); return this; }
    public PickleBuilder Mark() => Op((byte)'(');
    public PickleBuilder Tuple() => Op((byte)'t');
    public PickleBuilder EmptyDict() => Op((byte)'}');
    public PickleBuilder SetItem() => Op((byte)'s');
    public PickleBuilder Reduce() => Op((byte)'R');
    public PickleBuilder NewObj() => Op(0x81);
    public PickleBuilder Build() => Op((byte)'b');
    public PickleBuilder EmptyTuple() => Op((byte)')');

    /// <summary>Pushes a float tensor of <paramref name="shape"/> over storage <paramref name="key"/> of <paramref name="storageNumel"/> elements.</summary>
    public PickleBuilder Tensor(string key, byte storageNumel, params byte[] shape) => TensorOn("cpu", key, storageNumel, shape);

    /// <summary>As <see cref="Tensor"/>, with the storage saved from <paramref name="location"/> (e.g. <c>cuda:0</c>).</summary>
    public PickleBuilder TensorOn(string location, string key, byte storageNumel, params byte[] shape)
    {
        Global("torch._utils", "_rebuild_tensor_v2").Mark();
        Mark().Str("storage").Global("torch", "FloatStorage").Str(key).Str(location).Int(storageNumel).Tuple().Op((byte)'Q');
        Int(0);
        Mark(); foreach (var d in shape) Int(d); Tuple();
        Mark(); for (int i = 0; i < shape.Length; i++) Int((byte)shape.Skip(i + 1).Aggregate(1, (a, b) => a * b)); Tuple();
        Op(0x89).Global("collections", "OrderedDict").Op((byte)')').Reduce();
        return Tuple().Reduce();
    }

    public byte[] Stop() { Op((byte)'.'); return _s.ToArray(); }

    /// <summary>Writes a zip with <c>archive/data.pkl</c> and the given storages (float32), optionally deflated.</summary>
    public static string WriteArchive(string path, byte[] pickle, IReadOnlyDictionary<string, float[]> storages, bool deflate = false)
    {
        using var zip = new ZipArchive(File.Create(path), ZipArchiveMode.Create);
        var level = deflate ? CompressionLevel.Optimal : CompressionLevel.NoCompression;
        using (var e = zip.CreateEntry("archive/data.pkl", level).Open()) e.Write(pickle);
        foreach (var (key, values) in storages)
        {
            using var e = zip.CreateEntry("archive/data/" + key, level).Open();
            foreach (var v in values) e.Write(BitConverter.GetBytes(v));
        }
        return path;
    }
}
