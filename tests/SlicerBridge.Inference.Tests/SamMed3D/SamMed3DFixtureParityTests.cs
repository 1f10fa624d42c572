using System.Text.Json;
using SlicerBridge.Inference.Checkpoints;
using SlicerBridge.Inference.IO;
using SlicerBridge.Inference.Models.SamMed3D;
using SlicerBridge.Inference.Models.SamMed3D.Pipeline;
using SlicerBridge.Inference.Onnx;
using Xunit;
using Xunit.Abstractions;

namespace SlicerBridge.Inference.Tests.SamMed3D;

/// <summary>
/// Parity of the ONNX Runtime graphs (CPU provider) with ../shared/fixtures/sam-med3d-tiny (made with the official model
/// code, PyTorch 1.13, fp32). Tolerances: 1e-4 relative to the largest magnitude of each output (embeddings, prompt
/// embeddings, dense PE, logits, IoU: fp32 with another summation order, and the padded window's keys in closed form);
/// masks at least 99.99 % equal (a logit within rounding of 0 may flip).
/// </summary>
public sealed class SamMed3DFixtureParityTests(ITestOutputHelper output, SamMed3DFixtureParityTests.Run run) : IClassFixture<SamMed3DFixtureParityTests.Run>
{
    private const float RelativeTolerance = 1e-4f;

    /// <summary>Loads the network and runs the fixture's click sequence once for all tests.</summary>
    public sealed class Run
    {
        public Run()
        {
            var dir = Path.GetDirectoryName(TestPaths.Fixture("sam-med3d-tiny", "fixture.json"))!;
            Config = SamMed3DConfig.Resolve(Path.Combine(dir, "fixture.json"));
            Network = SamMed3DNetwork.Load(Path.Combine(dir, "checkpoint.pth"), Config, ExecutionDevice.Cpu);
            var crop = NpyFile.Read(Path.Combine(dir, "input_crop.npy")).ToFloat32();
            Embedding = Network.EncodeImage(crop, CancellationToken.None);
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "fixture.json")));
            float[] previous = [];
            foreach (var click in doc.RootElement.GetProperty("clicks").EnumerateArray())
            {
                var pts = click.GetProperty("points").EnumerateArray().Select(p => p.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
                var labels = click.GetProperty("labels").EnumerateArray().Select(v => (int)v.GetSingle()).ToArray();
                var points = pts.Select((p, i) => new SamPoint(p[0], p[1], p[2], labels[i])).ToArray();
                var decoded = Network.Decode(Embedding, points, previous, withIntermediates: true);
                Clicks.Add(decoded);
                previous = decoded.LowResLogits;
            }
            Dir = dir;
        }

        public string Dir { get; }
        public SamMed3DConfig Config { get; }
        public SamMed3DNetwork Network { get; }
        public SamImageEmbedding Embedding { get; }
        public List<SamDecoderOutput> Clicks { get; } = [];
        public float[] Expected(string file) => NpyFile.Read(Path.Combine(Dir, file)).ToFloat32();
    }

    private readonly Run _run = run;

    private void AssertClose(string what, float[] expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        float max = 0; int at = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            float d = MathF.Abs(expected[i] - actual[i]);
            if (!(d <= max)) { max = d; at = i; }
        }
        float scale = expected.Max(MathF.Abs);
        output.WriteLine($"{what}: max abs diff {max:E2} at {at}, {max / scale:E2} of the largest magnitude {scale:F3}");
        Assert.True(max <= RelativeTolerance * scale, $"{what}: max abs diff {max} at {at} (expected {expected[at]}, got {actual[at]}) exceeds {RelativeTolerance} × {scale}");
    }

    [Fact]
    public void ImageEmbeddingMatches() => AssertClose("image_embedding", _run.Expected("image_embedding.npy"), _run.Embedding.Data);

    [Fact]
    public void DensePositionalEncodingMatches() => AssertClose("dense_pe", _run.Expected("dense_pe.npy"), _run.Clicks[0].DensePe);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ClickOutputsMatch(int click)
    {
        var got = _run.Clicks[click - 1];
        AssertClose($"click{click}_sparse", _run.Expected($"click{click}_sparse.npy"), got.SparseEmbedding);
        AssertClose($"click{click}_dense", _run.Expected($"click{click}_dense.npy"), got.DenseEmbedding);
        AssertClose($"click{click}_lowres_logits", _run.Expected($"click{click}_lowres_logits.npy"), got.LowResLogits);
        AssertClose($"click{click}_iou", _run.Expected($"click{click}_iou.npy"), [got.Iou]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ClickMasksMatch(int click)
    {
        var expected = NpyFile.Read(Path.Combine(_run.Dir, $"click{click}_mask.npy")).Data;
        var mask = LogitUpsampler.ThresholdMask(_run.Clicks[click - 1].LowResLogits, _run.Config.LowResSize, _run.Config.ImageSize);
        int equal = 0, ones = 0;
        for (int i = 0; i < expected.Length; i++) { if (expected[i] == mask[i]) equal++; ones += expected[i]; }
        double fraction = (double)equal / expected.Length;
        output.WriteLine($"click{click}_mask: {fraction:P4} equal, {ones} foreground voxels expected");
        Assert.True(ones > 0 && ones < expected.Length, "the fixture mask should be neither empty nor full");
        Assert.True(fraction >= 0.9999, $"click{click} mask: only {fraction:P4} of voxels equal");
    }
}
