using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using SlicerBridge.Inference.IO;
using SlicerBridge.Inference.Models.CtSam3D;
using Xunit;

namespace SlicerBridge.Inference.Tests.CtSam3D;

/// <summary>
/// export-onnx's CT-SAM3D files stand alone: plain ONNX Runtime sessions opened from encoder.onnx / decoder.onnx /
/// cross_patch.onnx (weights as external data beside them) reproduce the fixture, and the manifest says the rest.
/// </summary>
public sealed class CtSam3DExportTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sb-ctsam-export-").FullName;
    private static string Fixture(string file) => TestPaths.Fixture("ct-sam3d-tiny", file);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void ExportedGraphsReproduceTheFixtureFromFiles()
    {
        var (config, pipeline) = CtSam3DPresets.Resolve(Fixture("fixture.json"));
        CtSam3DExport.Write(Fixture("checkpoint.pth"), config, pipeline, _folder);

        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(_folder, "manifest.json")));
        var graphs = manifest.RootElement.GetProperty("graphs");
        Assert.Equal(["feat0", "feat1", "feat2", "feat3", "prompt"],
            graphs.GetProperty("decoder").GetProperty("inputs").EnumerateArray().Select(i => i.GetProperty("name").GetString()));
        var model = manifest.RootElement.GetProperty("model");
        Assert.Equal("ct-sam3d", model.GetProperty("kind").GetString());
        Assert.Equal(-1024, model.GetProperty("preprocessing").GetProperty("pad_value").GetSingle());
        Assert.Equal([16, 32, 64, 128], model.GetProperty("config").GetProperty("embed_dims").EnumerateArray().Select(e => e.GetInt32()));

        var patch = NpyFile.Read(Fixture("input_patch.npy")).ToFloat32();
        using var encoder = new InferenceSession(Path.Combine(_folder, CtSam3DExport.EncoderFile));
        using var image = OrtValue.CreateTensorValueFromMemory(patch, [1, 1, 64, 64, 64]);
        using var encoded = encoder.Run(new RunOptions(), new Dictionary<string, OrtValue> { ["image"] = image }, ["feat0", "feat1", "feat2", "feat3"]);
        var features = encoded.Select(v => v.GetTensorDataAsSpan<float>().ToArray()).ToArray();
        for (int k = 0; k < 4; k++) AssertRelative(NpyFile.Read(Fixture($"enc_feat{k}.npy")).ToFloat32(), features[k]);

        var prompt = new float[3 * 64 * 64 * 64];
        NpyFile.Read(Fixture("click1_clickmap.npy")).ToFloat32().CopyTo(prompt, 64 * 64 * 64);
        using var decoder = new InferenceSession(Path.Combine(_folder, CtSam3DExport.DecoderFile));
        var inputs = new Dictionary<string, OrtValue>();
        for (int k = 0; k < 4; k++)
        {
            int d = 16 >> k, ch = k == 3 ? 32 : 16;
            inputs[$"feat{k}"] = OrtValue.CreateTensorValueFromMemory(features[k], [1, ch, d, d, d]);
        }
        inputs["prompt"] = OrtValue.CreateTensorValueFromMemory(prompt, [1, 3, 64, 64, 64]);
        using var decoded = decoder.Run(new RunOptions(), inputs, ["probability"]);
        var probability = decoded[0].GetTensorDataAsSpan<float>().ToArray();
        var expected = NpyFile.Read(Fixture("click1_prob.npy")).ToFloat32();
        Assert.True(expected.Zip(probability, (a, b) => MathF.Abs(a - b)).Max() <= 1e-5f);
        foreach (var v in inputs.Values) v.Dispose();

        Assert.True(File.Exists(Path.Combine(_folder, CtSam3DExport.CrossPatchFile)));
    }

    private static void AssertRelative(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        float scale = expected.Max(MathF.Abs), max = 0;
        for (int i = 0; i < expected.Length; i++) max = MathF.Max(max, MathF.Abs(expected[i] - actual[i]));
        Assert.True(max <= 2e-5f * scale, $"max abs diff {max} exceeds 2e-5 × {scale}");
    }
}
