using System.Text.Json;
using SlicerBridge.Inference.IO;
using SlicerBridge.Inference.Models.SamMed2D;
using SlicerBridge.Inference.Models.SamMed2D.Pipeline;
using Xunit;
using Xunit.Abstractions;

namespace SlicerBridge.Inference.Tests.SamMed2D;

/// <summary>
/// Parity of the ONNX Runtime graphs (CPU) and the predictor pipeline with ../shared/fixtures/sam-med2d-tiny (the official
/// SammedPredictor, PyTorch 1.13, fp32), over its 3 cases × 5 prompts. Tolerances (issue 14, the fixture's README):
/// encoder input bit-exact; embedding, prompt embeddings and dense PE ≤ 1e-4 of each array's largest magnitude;
/// low-res logits and IoU ≤ 1e-3; the same selected mask token; masks equal except where our own logit is within 1e-3 of 0.
/// </summary>
public sealed class SamMed2DFixtureParityTests(SamMed2DFixture fixture, ITestOutputHelper output) : IClassFixture<SamMed2DFixture>
{
    private const float EncoderTolerance = 1e-4f, DecoderTolerance = 1e-3f, MaskLogitSlack = 1e-3f;

    public static TheoryData<string> Cases => new() { "mri", "ct", "mrihr" };

    private float[] Expected(string file) => NpyFile.Read(fixture.File(file)).ToFloat32();

    private void AssertClose(string what, float[] expected, ReadOnlySpan<float> actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        float max = 0; int at = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            float d = MathF.Abs(expected[i] - actual[i]);
            if (!(d <= max)) { max = d; at = i; }
        }
        float scale = expected.Max(MathF.Abs);
        output.WriteLine($"{what}: max abs diff {max:E2} at {at} = {max / scale:E2} of max|ref| {scale:G4}");
        Assert.True(max <= tolerance * scale, $"{what}: |diff| {max} at {at} (expected {expected[at]}, got {actual[at]}) exceeds {tolerance} × {scale}");
    }

    private (EncodedFrame Frame, JsonElement Case) Encode(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(fixture.ConfigPath));
        var c = doc.RootElement.GetProperty("cases").EnumerateArray().Single(x => x.GetProperty("name").GetString() == name).Clone();
        var (hwc, h, w) = SamMed2DRunPlan.ReadImage(fixture.File($"{name}_image_u8.npy"));
        Assert.Equal(c.GetProperty("height").GetInt32(), h);
        Assert.Equal(c.GetProperty("width").GetInt32(), w);
        return (fixture.Predictor.EncodeHwc(hwc, h, w, default), c);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EncoderInputIsBitExact(string name)
    {
        var (frame, _) = Encode(name);
        var expected = Expected($"{name}_input.npy");
        Assert.Equal(expected.Length, frame.Input.Length);
        int differing = Enumerable.Range(0, expected.Length).Count(i => BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(frame.Input[i]));
        Assert.Equal(0, differing);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ImageEmbeddingMatches(string name) => AssertClose($"{name} embedding", Expected($"{name}_embedding.npy"), Encode(name).Frame.Embedding, EncoderTolerance);

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryPromptMatches(string name)
    {
        var (frame, c) = Encode(name);
        var plan = SamMed2DRunPlan.Read(fixture.ConfigPath).Cases.Single(x => x.Name == name);
        var lowRes = new Dictionary<string, float[]>();
        int r = fixture.Config.LowResSize;
        foreach (var (prompt, json) in plan.Prompts.Zip(c.GetProperty("prompts").EnumerateArray()))
        {
            string p = $"{name}_{prompt.Id}_";
            float[]? maskInput = prompt.MaskInputFrom is { } from ? SamMed2DPredictor.MaskPrompt(lowRes[from]) : null;
            if (maskInput is not null) AssertClose(p + "mask_input", Expected(p + "mask_input.npy"), maskInput, DecoderTolerance);
            var result = fixture.Predictor.Predict(frame, prompt.Points, prompt.Box, maskInput, prompt.Multimask, withIntermediates: true);
            lowRes[prompt.Id] = result.LowRes;

            // The coordinate transform, as handed to the prompt encoder (before the +0.5).
            var modelCoords = new List<float>();
            if (json.GetProperty("model_point_coords").ValueKind == JsonValueKind.Array)
                modelCoords.AddRange(json.GetProperty("model_point_coords").EnumerateArray().SelectMany(x => x.EnumerateArray().Select(v => v.GetSingle())));
            if (json.GetProperty("model_box").ValueKind == JsonValueKind.Array) modelCoords.AddRange(json.GetProperty("model_box").EnumerateArray().Select(v => v.GetSingle()));
            var ours = result.Tokens.Where(t => t.Label != PromptEncoder.PaddingLabel).SelectMany(t => new[] { t.X, t.Y }).ToArray();
            Assert.Equal(modelCoords, ours);
            Assert.Equal(json.GetProperty("n_sparse_tokens").GetInt32(), result.Tokens.Length);

            AssertClose(p + "sparse", Expected(p + "sparse.npy"), result.Output.SparseEmbedding, EncoderTolerance);
            AssertClose(p + "dense", Expected(p + "dense.npy"), result.Output.DenseEmbedding, EncoderTolerance);
            AssertClose(p + "lowres_all", Expected(p + "lowres_all.npy"), result.Output.LowResLogits, DecoderTolerance);
            AssertClose(p + "iou_all", Expected(p + "iou_all.npy"), result.Output.Iou, DecoderTolerance);
            AssertClose(p + "lowres", Expected(p + "lowres.npy"), result.LowRes, DecoderTolerance);
            Assert.Equal(json.GetProperty("selected_mask_token").GetInt32(), result.SelectedToken);
            AssertClose(p + "iou", Expected(p + "iou.npy"), [result.Iou], DecoderTolerance);

            var mask = NpyFile.Read(fixture.File(p + "mask.npy")).Data;
            Assert.Equal(mask.Length, result.Mask.Length);
            int differ = 0, unexplained = 0;
            for (int i = 0; i < mask.Length; i++)
                if (mask[i] != result.Mask[i])
                {
                    differ++;
                    if (MathF.Abs(result.Logits[i]) >= MaskLogitSlack) unexplained++;
                }
            output.WriteLine($"{p}mask: {differ} of {mask.Length} pixels differ, {unexplained} with |logit| ≥ {MaskLogitSlack}");
            Assert.Equal(0, unexplained);
            Assert.Equal(json.GetProperty("mask_foreground_pixels").GetInt32(), result.Mask.Count(v => v != 0), (double)differ);
            Assert.Equal(r * r, result.LowRes.Length);
        }
    }

    [Fact]
    public void DensePositionalEncodingMatches()
    {
        var (frame, _) = Encode("ct");
        var result = fixture.Predictor.Predict(frame, [new FramePoint(100, 100, true)], null, null, withIntermediates: true);
        AssertClose("dense_pe", Expected("dense_pe.npy"), result.Output.DensePe, EncoderTolerance);
    }

    [Fact]
    public void FullSizeLogitsMatchTheDebugCapture()
    {
        var (frame, _) = Encode("mri");
        var p1 = SamMed2DRunPlan.Read(fixture.ConfigPath).Cases.Single(x => x.Name == "mri").Prompts[0];
        var result = fixture.Predictor.Predict(frame, p1.Points, p1.Box, null, p1.Multimask);
        AssertClose("mri p1 full-size logits", Expected("debug/mri_p1_logits_fullres.npy"), result.Logits, DecoderTolerance);
    }
}
