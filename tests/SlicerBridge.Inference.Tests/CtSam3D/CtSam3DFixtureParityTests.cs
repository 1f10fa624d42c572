using System.Text.Json;
using SlicerBridge.Inference.IO;
using SlicerBridge.Inference.Models.CtSam3D;
using SlicerBridge.Inference.Onnx;
using Xunit;
using Xunit.Abstractions;

namespace SlicerBridge.Inference.Tests.CtSam3D;

/// <summary>
/// Parity of the ONNX Runtime graphs (CPU provider) with ../shared/fixtures/ct-sam3d-tiny (official model code, PyTorch
/// 1.13, fp32; the fixture's fp32-vs-fp64 spread is ≤ 6.4e-6 in probability). Tolerances: encoder maps, stem and decoder
/// intermediates 2e-5 of the largest magnitude of each array; click maps 1e-7 absolute (float32 exp ulps); probabilities
/// 1e-5 absolute; masks may differ only where the fixture's probability is within 1e-4 of 0.5; the CPP heatmap 2e-5 of
/// its largest magnitude; the IoU output 1e-5 absolute.
/// </summary>
public sealed class CtSam3DFixtureParityTests(ITestOutputHelper output, CtSam3DFixtureParityTests.Run run) : IClassFixture<CtSam3DFixtureParityTests.Run>
{
    private const float RelativeTolerance = 2e-5f;

    /// <summary>Loads the network and runs the fixture's four cumulative clicks once for all tests.</summary>
    public sealed class Run : IDisposable
    {
        public Run()
        {
            Dir = Path.GetDirectoryName(TestPaths.Fixture("ct-sam3d-tiny", "fixture.json"))!;
            Config = CtSam3DConfig.FromFile(Path.Combine(Dir, "fixture.json"));
            Network = CtSam3DNetwork.Load(Path.Combine(Dir, "checkpoint.pth"), Config, ExecutionDevice.Cpu);
            Patch = Expected("input_patch.npy");
            Features = Network.EncodePatch(Patch, CancellationToken.None, withStem: true);
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "fixture.json")));
            float[] previous = [];
            foreach (var click in doc.RootElement.GetProperty("clicks").EnumerateArray())
            {
                var pts = click.GetProperty("points_xyz").EnumerateArray().Select(p => p.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
                var labels = click.GetProperty("labels").EnumerateArray().Select(v => v.GetInt32()).ToArray();
                var clicks = pts.Select((p, i) => new CtSamClick(p[0], p[1], p[2], labels[i])).ToArray();
                var decoded = Network.Decode(Features, clicks, previous, withIntermediates: Clicks.Count == 0);
                Clicks.Add(decoded);
                previous = decoded.Probability;
            }
            var mask = NpyFile.Read(Path.Combine(Dir, "click4_mask.npy")).Data;
            Heatmap = Network.CrossPatchHeatmap(Patch, mask, Expected("cpp_neighbor_patch.npy"), CancellationToken.None);
        }

        public string Dir { get; }
        public CtSam3DConfig Config { get; }
        public CtSam3DNetwork Network { get; }
        public float[] Patch { get; }
        public CtSamFeatures Features { get; }
        public List<CtSamDecoderOutput> Clicks { get; } = [];
        public float[] Heatmap { get; }
        public float[] Expected(string file) => NpyFile.Read(Path.Combine(Dir, file)).ToFloat32();
        public void Dispose() => Network.Dispose();
    }

    private readonly Run _run = run;

    private float MaxAbsDiff(string what, float[] expected, ReadOnlySpan<float> actual, out int at)
    {
        Assert.Equal(expected.Length, actual.Length);
        float max = 0;
        at = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            float d = MathF.Abs(expected[i] - actual[i]);
            if (!(d <= max)) { max = d; at = i; }
        }
        output.WriteLine($"{what}: max abs diff {max:E2} at {at}");
        return max;
    }

    private void AssertRelative(string what, float[] expected, ReadOnlySpan<float> actual)
    {
        float max = MaxAbsDiff(what, expected, actual, out int at), scale = expected.Max(MathF.Abs);
        output.WriteLine($"{what}: {max / scale:E2} of the largest magnitude {scale:F3}");
        Assert.True(max <= RelativeTolerance * scale, $"{what}: max abs diff {max} at {at} (expected {expected[at]}, got {actual[at]}) exceeds {RelativeTolerance} × {scale}");
    }

    private void AssertAbsolute(string what, float[] expected, ReadOnlySpan<float> actual, float tolerance)
    {
        float max = MaxAbsDiff(what, expected, actual, out int at);
        Assert.True(max <= tolerance, $"{what}: max abs diff {max} at {at} (expected {expected[at]}, got {actual[at]}) exceeds {tolerance}");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void EncoderMapsMatch(int k) => AssertRelative($"enc_feat{k}", _run.Expected($"enc_feat{k}.npy"), _run.Features.Maps[k]);

    [Fact]
    public void StemMatches() => AssertRelative("dbg_stem_out", _run.Expected("dbg_stem_out.npy"), _run.Features.Stem);

    [Theory]
    [InlineData("spade1")]
    [InlineData("upscale1")]
    [InlineData("spade2")]
    [InlineData("upscale2")]
    [InlineData("spade3")]
    [InlineData("upscale3")]
    [InlineData("spade4")]
    [InlineData("upscale4")]
    [InlineData("spade5")]
    public void DecoderIntermediatesMatch(string name) =>
        AssertRelative($"dbg_click1_{name}", _run.Expected($"dbg_click1_{name}.npy"), _run.Clicks[0].Intermediates![name]);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void ClickOutputsMatch(int click)
    {
        var got = _run.Clicks[click - 1];
        AssertAbsolute($"click{click}_clickmap", _run.Expected($"click{click}_clickmap.npy"), got.ClickMaps, 1e-7f);
        AssertAbsolute($"click{click}_prob", _run.Expected($"click{click}_prob.npy"), got.Probability, 1e-5f);
        AssertAbsolute($"click{click}_iou", _run.Expected($"click{click}_iou.npy"), [got.Iou], 1e-5f);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void MasksDifferOnlyWithinTheThresholdBand(int click)
    {
        var expected = NpyFile.Read(Path.Combine(_run.Dir, $"click{click}_mask.npy")).Data;
        var expectedProbability = _run.Expected($"click{click}_prob.npy");
        var mask = _run.Clicks[click - 1].Mask();
        int flips = 0, ones = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            ones += expected[i];
            if (expected[i] == mask[i]) continue;
            flips++;
            Assert.True(MathF.Abs(expectedProbability[i] - 0.5f) < 1e-4f, $"click{click}: voxel {i} flipped with fixture probability {expectedProbability[i]}");
        }
        output.WriteLine($"click{click}_mask: {flips} flip(s), {ones} foreground voxels expected");
        Assert.True(ones > 0 && ones < expected.Length, "the fixture mask should be neither empty nor full");
    }

    [Fact]
    public void OverlappingPositiveClickOverwritesTheEarlierGaussian()
    {
        // Click 3 at (36,35,30) overwrites click 1's box: at click 1's centre (x,y,z) = (32,32,32) the map is exp(−29/8).
        var maps = _run.Clicks[2].ClickMaps;
        Assert.Equal(MathF.Exp(-29f / 8), maps[(32 * 64 + 32) * 64 + 32], 6);
        Assert.Equal(1f, maps[(30 * 64 + 35) * 64 + 36]);
    }

    [Fact]
    public void CrossPatchHeatmapMatches() => AssertRelative("cpp_heatmap", _run.Expected("cpp_heatmap.npy"), _run.Heatmap);
}
