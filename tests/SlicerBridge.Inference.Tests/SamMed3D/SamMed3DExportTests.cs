using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using SlicerBridge.Inference.IO;
using SlicerBridge.Inference.Models.SamMed3D;
using Xunit;

namespace SlicerBridge.Inference.Tests.SamMed3D;

/// <summary>
/// export-onnx's files stand alone: a plain ONNX Runtime session opened from encoder.onnx / decoder.onnx (weights found
/// as external data beside them) reproduces the fixture, and the manifest names every input and output.
/// </summary>
public sealed class SamMed3DExportTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sb-export-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Exported_graphs_reproduce_the_fixture_from_files()
    {
        var dir = Path.GetDirectoryName(TestPaths.Fixture("sam-med3d-tiny", "fixture.json"))!;
        var config = SamMed3DConfig.Resolve(Path.Combine(dir, "fixture.json"));
        SamMed3DExport.Write(Path.Combine(dir, "checkpoint.pth"), config, new SamMed3DPipelineOptions(), _folder);

        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(_folder, "manifest.json")));
        var graphs = manifest.RootElement.GetProperty("graphs");
        Assert.Equal(["image"], graphs.GetProperty("encoder").GetProperty("inputs").EnumerateArray().Select(i => i.GetProperty("name").GetString()));
        Assert.Equal(["image_embedding", "point_coords", "point_labels", "mask_input"],
            graphs.GetProperty("decoder").GetProperty("inputs").EnumerateArray().Select(i => i.GetProperty("name").GetString()));
        Assert.Equal(1.5, manifest.RootElement.GetProperty("model").GetProperty("preprocessing").GetProperty("spacing_mm").GetDouble());
        Assert.Equal(config.EmbedDim, manifest.RootElement.GetProperty("model").GetProperty("config").GetProperty("embed_dim").GetInt32());

        var crop = NpyFile.Read(Path.Combine(dir, "input_crop.npy")).ToFloat32();
        using var encoder = new InferenceSession(Path.Combine(_folder, SamMed3DExport.EncoderFile));
        using var image = OrtValue.CreateTensorValueFromMemory(crop, [1, 1, 128, 128, 128]);
        using var encoded = encoder.Run(new RunOptions(), new Dictionary<string, OrtValue> { ["image"] = image }, ["image_embedding"]);
        var embedding = encoded[0].GetTensorDataAsSpan<float>().ToArray();
        AssertRelative(NpyFile.Read(Path.Combine(dir, "image_embedding.npy")).ToFloat32(), embedding);

        using var clicks = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "fixture.json")));
        var first = clicks.RootElement.GetProperty("clicks")[0];
        var coords = first.GetProperty("points").EnumerateArray().SelectMany(p => p.EnumerateArray().Select(v => v.GetSingle())).ToArray();
        var labels = first.GetProperty("labels").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        using var decoder = new InferenceSession(Path.Combine(_folder, SamMed3DExport.DecoderFile));
        using var emb = OrtValue.CreateTensorValueFromMemory(embedding, [1, config.PromptEmbedDim, 8, 8, 8]);
        using var pts = OrtValue.CreateTensorValueFromMemory(coords, [1, labels.Length, 3]);
        using var lbl = OrtValue.CreateTensorValueFromMemory(labels, [1, labels.Length]);
        using var mask = OrtValue.CreateTensorValueFromMemory(new float[32 * 32 * 32], [1, 1, 32, 32, 32]);
        using var decoded = decoder.Run(new RunOptions(),
            new Dictionary<string, OrtValue> { ["image_embedding"] = emb, ["point_coords"] = pts, ["point_labels"] = lbl, ["mask_input"] = mask },
            ["low_res_logits"]);
        AssertRelative(NpyFile.Read(Path.Combine(dir, "click1_lowres_logits.npy")).ToFloat32(), decoded[0].GetTensorDataAsSpan<float>().ToArray());
    }

    private static void AssertRelative(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        float scale = expected.Max(MathF.Abs), max = 0;
        for (int i = 0; i < expected.Length; i++) max = MathF.Max(max, MathF.Abs(expected[i] - actual[i]));
        Assert.True(max <= 1e-4f * scale, $"max abs diff {max} exceeds 1e-4 × {scale}");
    }
}
