using System.Text.Json;
using SlicerBridge.Inference.IO;
using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Models.SamMed3D;
using SlicerBridge.Inference.Models.SamMed3D.Pipeline;
using SlicerBridge.Inference.Onnx;
using Xunit;
using Xunit.Abstractions;

namespace SlicerBridge.Inference.Tests.SamMed3D;

/// <summary>
/// The fp16 graphs (matrix products in float16; residual streams, norms, logits and softmax, Fourier features in float32)
/// against the fp32 graphs on the fixture: masks at least 99.9 % equal. Run on the CPU provider, which computes fp16 ops
/// it has no kernel for through casts, so this checks the graph and the fp16 rounding of weights and activations between
/// ops, not a GPU's fp16 arithmetic.
/// </summary>
public sealed class SamMed3DFp16Tests(ITestOutputHelper output)
{
    [Fact]
    public void Fp16_masks_agree_with_fp32_on_the_fixture_clicks()
    {
        var dir = Path.GetDirectoryName(TestPaths.Fixture("sam-med3d-tiny", "fixture.json"))!;
        var config = SamMed3DConfig.Resolve(Path.Combine(dir, "fixture.json"));
        var crop = NpyFile.Read(Path.Combine(dir, "input_crop.npy")).ToFloat32();
        using var fp32 = SamMed3DNetwork.Load(Path.Combine(dir, "checkpoint.pth"), config, ExecutionDevice.Cpu, ModelPrecision.Fp32);
        using var fp16 = SamMed3DNetwork.Load(Path.Combine(dir, "checkpoint.pth"), config, ExecutionDevice.Cpu, ModelPrecision.Fp16);
        Assert.Equal(ModelPrecision.Fp16, fp16.Precision);
        var e32 = fp32.EncodeImage(crop, CancellationToken.None);
        var e16 = fp16.EncodeImage(crop, CancellationToken.None);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "fixture.json")));
        float[] p32 = [], p16 = [];
        foreach (var click in doc.RootElement.GetProperty("clicks").EnumerateArray())
        {
            var pts = click.GetProperty("points").EnumerateArray().Select(p => p.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
            var labels = click.GetProperty("labels").EnumerateArray().Select(v => (int)v.GetSingle()).ToArray();
            var points = pts.Select((p, i) => new SamPoint(p[0], p[1], p[2], labels[i])).ToArray();
            p32 = fp32.Decode(e32, points, p32).LowResLogits;
            p16 = fp16.Decode(e16, points, p16).LowResLogits;
            var m32 = LogitUpsampler.ThresholdMask(p32, 32, 128);
            var m16 = LogitUpsampler.ThresholdMask(p16, 32, 128);
            double agree = m32.Zip(m16).Count(x => x.First == x.Second) / (double)m32.Length;
            output.WriteLine($"{points.Length} click(s): {agree:P4} of voxels agree, {m32.Count(v => v != 0)} foreground (fp32)");
            Assert.True(agree >= 0.999, $"fp16 mask agrees with fp32 on only {agree:P4} of voxels");
            Assert.True(m32.Any(v => v != 0), "the fp32 mask should not be empty");
        }
    }

    [Fact]
    public void Fp16_on_an_explicit_cpu_is_refused_with_the_reason()
    {
        var dir = Path.GetDirectoryName(TestPaths.Fixture("sam-med3d-tiny", "fixture.json"))!;
        var spec = new ModelSpec("sam", "sam-med3d", Path.Combine(dir, "checkpoint.pth"), Path.Combine(dir, "fixture.json"), "cpu", "fp16");
        var ex = Assert.Throws<ArgumentException>(() => new SamMed3DModelFactory().Create(spec));
        Assert.Contains("fp16 runs on GPUs", ex.Message);
    }
}
