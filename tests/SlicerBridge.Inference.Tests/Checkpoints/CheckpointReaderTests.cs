using System.Text;
using SlicerBridge.Inference.Checkpoints;

namespace SlicerBridge.Inference.Tests.Checkpoints;

public class CheckpointReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sb-ckpt-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // Expected values from torch.load of the fixtures (PyTorch 1.13): tensor count, Σ values and Σ |values| in float64
    // over every tensor, state dict unwrapped and nested dicts flattened. Tolerance: 1e-9 relative (summation order).
    [Theory]
    [InlineData("sam-med3d-tiny", "checkpoint.pth", 204, 1337.1473626639045, 104288.64198874359)]
    [InlineData("3dsam-adapter-tiny", "last.pth.tar", 991, -3322672579.7072024, 3322880209.7808623)] // some entries deflated
    [InlineData("ct-sam3d-tiny", "checkpoint.pth", 348, 2305.190202069086, 205955.28718661945)]   // int64 tensors too
    public void FixturesLoadWithEveryValue(string family, string file, int count, double sum, double absSum)
    {
        using var ckpt = CheckpointReader.Open(TestPaths.Fixture(family, file));
        Assert.Equal(count, ckpt.Tensors.Count);
        double s = 0, a = 0;
        foreach (var t in ckpt.Tensors)
        {
            var values = new float[t.ElementCount];
            ckpt.ReadFloat32(t.Name, values);
            foreach (var v in values) { s += v; a += Math.Abs(v); }
        }
        Assert.Equal(sum, s, Math.Abs(sum) * 1e-9 + 1e-9);
        Assert.Equal(absSum, a, absSum * 1e-9);
    }

    [Fact]
    public void SamMed3DTinyShapesFollowTheConfiguration()
    {
        using var ckpt = CheckpointReader.Open(TestPaths.Fixture("sam-med3d-tiny", "checkpoint.pth"));
        // fixture.json: embed_dim 96 in 4 heads (head dim 24), prompt_embed_dim 48 (Fourier matrix 3 x 48/3), global blocks 1 and 3
        // (rel-pos tables of 2·8−1 = 15 rows), windowed blocks 0 and 2 (2·14−1 = 27 rows).
        CheckpointReader.RequireShapes(ckpt,
        [
            ("image_encoder.pos_embed", [1, 8, 8, 8, 96]),
            ("image_encoder.patch_embed.proj.weight", [96, 1, 16, 16, 16]),
            ("image_encoder.blocks.0.attn.rel_pos_d", [27, 24]),
            ("image_encoder.blocks.1.attn.rel_pos_d", [15, 24]),
            ("image_encoder.blocks.0.attn.qkv.weight", [288, 96]),
            ("prompt_encoder.pe_layer.positional_encoding_gaussian_matrix", [3, 16]),
            ("mask_decoder.output_upscaling.0.weight", [48, 12, 2, 2, 2]),
        ]);
        var ex = Assert.Throws<CheckpointException>(() => CheckpointReader.RequireShapes(ckpt,
            [("image_encoder.pos_embed", [1, 8, 8, 8, 768]), ("image_encoder.blocks.11.norm1.weight", [768])]));
        Assert.Contains("'image_encoder.pos_embed' is [1,8,8,8,96], expected [1,8,8,8,768]", ex.Message);
        Assert.Contains("missing 'image_encoder.blocks.11.norm1.weight'", ex.Message);
    }

    [Fact]
    public void HandBuiltArchiveRoundTripsStoredAndDeflated()
    {
        var pickle = new PickleBuilder().EmptyDict().Str("module.w").Tensor("0", 6, 2, 3).SetItem().Stop();
        foreach (bool deflate in new[] { false, true })
        {
            var path = PickleBuilder.WriteArchive(Path.Combine(_dir, $"m{deflate}.pth"), pickle,
                new Dictionary<string, float[]> { ["0"] = [1, 2, 3, 4, 5, 6] }, deflate);
            using var ckpt = CheckpointReader.Open(path);
            Assert.Equal(["w"], ckpt.Tensors.Select(t => t.Name)); // module. prefix removed
            Assert.Equal([2, 3], ckpt.GetShape("w"));
            var values = new float[6];
            ckpt.ReadFloat32("w", values);
            Assert.Equal([1f, 2, 3, 4, 5, 6], values);
        }
    }

    [Theory]
    [InlineData("os", "system")]
    [InlineData("builtins", "eval")]
    [InlineData("__builtin__", "exec")]
    [InlineData("torch", "load")]
    public void ForeignGlobalIsRefusedByName(string module, string name)
    {
        var pickle = new PickleBuilder().Global(module, name).Mark().Str("echo pwned").Tuple().Reduce().Stop();
        var path = PickleBuilder.WriteArchive(Path.Combine(_dir, "evil.pth"), pickle, new Dictionary<string, float[]>());
        var ex = Assert.Throws<CheckpointException>(() => CheckpointReader.Open(path));
        Assert.Contains($"'{module}.{name}'", ex.Message);
    }

    [Fact]
    public void TruncatedZipIsACheckpointError()
    {
        var bytes = File.ReadAllBytes(TestPaths.Fixture("sam-med3d-tiny", "checkpoint.pth"));
        var path = Path.Combine(_dir, "cut.pth");
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        Assert.Throws<CheckpointException>(() => CheckpointReader.Open(path));
    }

    [Fact]
    public void CorruptPickleIsACheckpointError()
    {
        var pickle = new PickleBuilder().EmptyDict().Str("w").Op((byte)'s').Stop(); // SETITEM with one value
        var path = PickleBuilder.WriteArchive(Path.Combine(_dir, "bad.pth"), pickle, new Dictionary<string, float[]>());
        Assert.Contains("corrupt pickle", Assert.Throws<CheckpointException>(() => CheckpointReader.Open(path)).Message);
    }

    [Fact]
    public void MissingStorageEntryIsReportedWhenRead()
    {
        var pickle = new PickleBuilder().EmptyDict().Str("w").Tensor("7", 4, 4).SetItem().Stop();
        var path = PickleBuilder.WriteArchive(Path.Combine(_dir, "nodata.pth"), pickle, new Dictionary<string, float[]>());
        using var ckpt = CheckpointReader.Open(path);
        Assert.Contains("data/7", Assert.Throws<CheckpointException>(() => ckpt.ReadFloat32("w", new float[4])).Message);
    }

    [Fact]
    public void TensorLargerThanItsStorageIsRejected()
    {
        var pickle = new PickleBuilder().EmptyDict().Str("w").Tensor("0", 2, 3).SetItem().Stop();
        var path = PickleBuilder.WriteArchive(Path.Combine(_dir, "short.pth"), pickle, new Dictionary<string, float[]> { ["0"] = [1, 2] });
        Assert.Contains("overruns its storage", Assert.Throws<CheckpointException>(() => CheckpointReader.Open(path)).Message);
    }

    [Fact]
    public void StorageEntryShorterThanDeclaredIsRejected()
    {
        var pickle = new PickleBuilder().EmptyDict().Str("w").Tensor("0", 3, 3).SetItem().Stop();
        var path = PickleBuilder.WriteArchive(Path.Combine(_dir, "shortentry.pth"), pickle, new Dictionary<string, float[]> { ["0"] = [1, 2] });
        using var ckpt = CheckpointReader.Open(path);
        Assert.Throws<CheckpointException>(() => ckpt.ReadFloat32("w", new float[3]));
    }

    private string Safetensors(string header, byte[] data)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var path = Path.Combine(_dir, Guid.NewGuid() + ".safetensors");
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)h.Length), .. h, .. data]);
        return path;
    }

    [Fact]
    public void SafetensorsWithFloat32AndBFloat16()
    {
        byte[] data = [.. BitConverter.GetBytes(1.5f), .. BitConverter.GetBytes(-2f), 0x80, 0x3F /* bf16 1.0 */, 0x40, 0xC0 /* bf16 -3.0 */];
        var path = Safetensors("""{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"module.b":{"dtype":"BF16","shape":[1,2],"data_offsets":[8,12]}}""", data);
        using var ckpt = CheckpointReader.Open(path);
        var a = new float[2]; ckpt.ReadFloat32("a", a);
        var b = new float[2]; ckpt.ReadFloat32("b", b);
        Assert.Equal([1.5f, -2f], a);
        Assert.Equal([1f, -3f], b);
        Assert.Equal([1, 2], ckpt.GetShape("b"));
    }

    [Theory]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,12]}}""")]
    [InlineData("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}""")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,0]}}""")]
    [InlineData("""{"a":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}""")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2]}}""")]
    [InlineData("""not json""")]
    public void MalformedSafetensorsAreRejected(string header) =>
        Assert.Throws<CheckpointException>(() => CheckpointReader.Open(Safetensors(header, new byte[8])));

    [Fact]
    public void MissingFileAndWrongNameAndWrongDestination()
    {
        Assert.Throws<CheckpointException>(() => CheckpointReader.Open(Path.Combine(_dir, "none.pth")));
        using var ckpt = CheckpointReader.Open(TestPaths.Fixture("sam-med3d-tiny", "checkpoint.pth"));
        Assert.Throws<CheckpointException>(() => ckpt.GetShape("nope"));
        Assert.Throws<CheckpointException>(() => ckpt.ReadFloat32("image_encoder.pos_embed", new float[3]));
    }
}
