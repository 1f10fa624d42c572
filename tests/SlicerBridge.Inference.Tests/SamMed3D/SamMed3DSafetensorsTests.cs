using System.Text;
using System.Text.Json;
using SlicerBridge.Inference.Checkpoints;
using SlicerBridge.Inference.IO;
using SlicerBridge.Inference.Models.SamMed3D;
using Xunit;

namespace SlicerBridge.Inference.Tests.SamMed3D;

/// <summary>The same weights exported as .safetensors (with a <c>module.</c> prefix, as DataParallel saves them) give the same network.</summary>
public sealed class SamMed3DSafetensorsTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"sb-sam-{Guid.NewGuid():N}.safetensors");

    public void Dispose() => File.Delete(_path);

    /// <summary>Writes every tensor of <paramref name="source"/> as F32, names prefixed with "module.".</summary>
    private static void WriteSafetensors(ICheckpoint source, string path)
    {
        var header = new Dictionary<string, object> { ["__metadata__"] = new Dictionary<string, string> { ["format"] = "pt" } };
        var blobs = new List<float[]>();
        long offset = 0;
        foreach (var t in source.Tensors)
        {
            var values = new float[t.ElementCount];
            source.ReadFloat32(t.Name, values);
            blobs.Add(values);
            header["module." + t.Name] = new Dictionary<string, object> { ["dtype"] = "F32", ["shape"] = t.Shape, ["data_offsets"] = new[] { offset, offset + 4 * values.LongLength } };
            offset += 4 * values.LongLength;
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        using var f = File.Create(path);
        f.Write(BitConverter.GetBytes((ulong)json.Length));
        f.Write(json);
        foreach (var b in blobs) f.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(b.AsSpan()));
    }

    [Fact]
    public void SafetensorsExportReproducesTheFixture()
    {
        var config = SamMed3DConfig.Resolve(TestPaths.Fixture("sam-med3d-tiny", "fixture.json"));
        using (var pth = CheckpointReader.Open(TestPaths.Fixture("sam-med3d-tiny", "checkpoint.pth")))
            WriteSafetensors(pth, _path);
        using var network = SamMed3DNetwork.Load(_path, config);
        var crop = NpyFile.Read(TestPaths.Fixture("sam-med3d-tiny", "input_crop.npy")).ToFloat32();
        var embedding = network.EncodeImage(crop, default);
        var expected = NpyFile.Read(TestPaths.Fixture("sam-med3d-tiny", "image_embedding.npy")).ToFloat32();
        Assert.Equal(expected.Length, embedding.Data.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - embedding.Data[i]) <= 1e-4, $"embedding[{i}]");
        var logits = network.Decode(embedding, [new SamPoint(70, 40, 90, 1)], []).LowResLogits;
        var expectedLogits = NpyFile.Read(TestPaths.Fixture("sam-med3d-tiny", "click1_lowres_logits.npy")).ToFloat32();
        for (int i = 0; i < expectedLogits.Length; i++) Assert.True(Math.Abs(expectedLogits[i] - logits[i]) <= 1e-4, $"logits[{i}]");
    }
}
