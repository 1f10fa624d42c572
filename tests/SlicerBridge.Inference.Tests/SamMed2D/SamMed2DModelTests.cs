using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Models.SamMed2D;
using SlicerBridge.Inference.Models.SamMed2D.Pipeline;
using SlicerBridge.Inference.Volumes;
using Xunit;

namespace SlicerBridge.Inference.Tests.SamMed2D;

/// <summary>
/// SAM-Med2D as a segmentation model on one-slice volumes: prompts in RAS on an oblique image plane give the
/// predictor's masks on the image's own pixels; off-plane points, 3-D volumes and prompt-less requests are refused.
/// </summary>
public sealed class SamMed2DModelTests(SamMed2DFixture fixture) : IClassFixture<SamMed2DFixture>
{
    private static readonly Vec3 U = new(Math.Cos(0.5), Math.Sin(0.5), 0);
    private static readonly Vec3 V = new Vec3(-Math.Sin(0.5) * Math.Cos(0.8), Math.Cos(0.5) * Math.Cos(0.8), Math.Sin(0.8));
    private static readonly Vec3 W = U.Cross(V);

    /// <summary>The fixture's CT slice on a rotated plane, 0.7 × 0.9 mm pixels, 2.5 mm thick, uint8 as it came.</summary>
    private (Volume Volume, byte[] Grey) CtSlice()
    {
        var (hwc, h, w) = SamMed2DRunPlan.ReadImage(fixture.File("ct_image_u8.npy"));
        var grey = new byte[h * w];
        for (int i = 0; i < grey.Length; i++) grey[i] = hwc[3 * i];
        var geometry = new VolumeGeometry(w, h, 1, U * 0.7, V * 0.9, W * 2.5, new Vec3(-40, 12, 75));
        return (new Volume(geometry, grey.Select(b => (float)b).ToArray(), "us", VoxelType.UInt8), grey);
    }

    private static PromptPoint At(Volume v, double x, double y, bool positive, double k = 0) => new(v.Geometry.IjkToRasPoint(new Vec3(x, y, k)), positive);

    private SamMed2DModel Model() => new("sam2d", new NonOwningNetwork(fixture.Network), "fixture", 0);

    [Fact]
    public void PointsInRasGiveThePredictorsMasksOnTheImageGrid()
    {
        var (volume, grey) = CtSlice();
        using var model = Model();
        var frame = fixture.Predictor.EncodeGrey(grey, volume.Geometry.SizeJ, volume.Geometry.SizeI, default);

        var first = model.Segment(new SegmentationRequest { Volume = volume, Points = [At(volume, 113, 125, true)] }, default);
        var expected1 = fixture.Predictor.Predict(frame, [new FramePoint(113, 125, true)], null, null);
        Assert.Equal(expected1.Mask, first.Mask);
        Assert.InRange(first.Mask.Count(b => b != 0), 1000, grey.Length - 1000);

        // The next request carries the previous low-res logits (sigmoid) as the mask prompt, with all clicks so far.
        var second = model.Segment(new SegmentationRequest
        {
            Volume = volume, Points = [At(volume, 113, 125, true), At(volume, 160, 150, false)], Previous = first.State,
        }, default);
        var expected2 = fixture.Predictor.Predict(frame, [new FramePoint(113, 125, true), new FramePoint(160, 150, false)], null,
            SamMed2DPredictor.MaskPrompt(expected1.LowRes));
        Assert.Equal(expected2.Mask, second.Mask);
        Assert.NotEqual(first.Mask, second.Mask);
    }

    [Fact]
    public void AnRoiOnThePlaneIsTheBoxAroundItsFootprint()
    {
        var (volume, grey) = CtSlice();
        // Pixels 100..159 × 85..174, edges half a pixel out, 10 mm thick across the plane, axes along the image's.
        var centre = volume.Geometry.IjkToRasPoint(new Vec3((99.5 + 159.5) / 2, (84.5 + 174.5) / 2, 0));
        var roi = new RoiBox(centre, new Vec3(60 * 0.7, 90 * 0.9, 10), U, V, W);
        var box = ImagePlane.Project(volume.Geometry, roi)!.Value;
        Assert.Equal(100, box.X0, 6);
        Assert.Equal(85, box.Y0, 6);
        Assert.Equal(160, box.X1, 6);
        Assert.Equal(175, box.Y1, 6);

        using var model = Model();
        var result = model.Segment(new SegmentationRequest { Volume = volume, Roi = roi }, default);
        var frame = fixture.Predictor.EncodeGrey(grey, volume.Geometry.SizeJ, volume.Geometry.SizeI, default);
        Assert.Equal(fixture.Predictor.Predict(frame, [], new FrameBox(100, 85, 160, 175), null).Mask, result.Mask);

        var away = roi with { Center = centre + W * 20 };
        Assert.Null(ImagePlane.Project(volume.Geometry, away));
    }

    [Fact]
    public void PointsOffThePlaneAreIgnored()
    {
        var (volume, _) = CtSlice();
        using var model = Model();
        var ex = Assert.Throws<SegmentationException>(() =>
            model.Segment(new SegmentationRequest { Volume = volume, Points = [At(volume, 113, 125, true, k: 0.8)] }, default));
        Assert.Contains("image plane", ex.Message);
        // Within half a slice it counts.
        model.Segment(new SegmentationRequest { Volume = volume, Points = [At(volume, 113, 125, true, k: 0.4)] }, default);
    }

    [Fact]
    public void ThreeDimensionalVolumesAreRefused()
    {
        var volume = new Volume(VolumeGeometry.AxisAligned(8, 8, 3, new Vec3(1, 1, 1), new Vec3(0, 0, 0)), new float[192], "ct");
        using var model = Model();
        var ex = Assert.Throws<SegmentationException>(() =>
            model.Segment(new SegmentationRequest { Volume = volume, Points = [new PromptPoint(new Vec3(2, 2, 1), true)] }, default));
        Assert.Contains("3 slices", ex.Message);
    }

    [Fact]
    public void TheMaskPromptAloneIsAValidPrompt()
    {
        // No sparse tokens at all (a trained prompt type: the tracker's "previous mask only" step).
        var (volume, grey) = CtSlice();
        var frame = fixture.Predictor.EncodeGrey(grey, volume.Geometry.SizeJ, volume.Geometry.SizeI, default);
        var withPoint = fixture.Predictor.Predict(frame, [new FramePoint(113, 125, true)], null, null);
        var maskOnly = fixture.Predictor.Predict(frame, [], null, SamMed2DPredictor.MaskPrompt(withPoint.LowRes));
        Assert.Empty(maskOnly.Tokens);
        Assert.Equal(fixture.Config.LowResSize * fixture.Config.LowResSize, maskOnly.LowRes.Length);
        Assert.True(maskOnly.LowRes.All(float.IsFinite));
    }

    [Fact]
    public void SixteenBitFramesAreStretchedOntoTheByteRange()
    {
        var geometry = VolumeGeometry.AxisAligned(100, 10, 1, new Vec3(1, 1, 1), new Vec3(0, 0, 0));
        var voxels = Enumerable.Range(0, 1000).Select(i => (float)(i * 40 - 1000)).ToArray();
        var bytes = FrameIntensity.ToBytes(new Volume(geometry, voxels, "ct", VoxelType.Int16));
        Assert.Equal(0, bytes[0]);
        Assert.Equal(255, bytes[^1]);
        Assert.InRange(bytes[500], 126, 129);
        Assert.True(bytes.Zip(bytes.Skip(1)).All(p => p.First <= p.Second));
    }

    /// <summary>The class fixture's network, lent to a model that would otherwise dispose of it.</summary>
    private sealed class NonOwningNetwork(ISamMed2DNetwork inner) : ISamMed2DNetwork
    {
        public SamMed2DConfig Config => inner.Config;
        public SlicerBridge.Inference.Onnx.ExecutionChoice Execution => inner.Execution;
        public float[] EncodeImage(ReadOnlySpan<float> input, CancellationToken cancellationToken) => inner.EncodeImage(input, cancellationToken);
        public SamMed2DDecoderOutput Decode(float[] embedding, ReadOnlySpan<PromptToken> tokens, ReadOnlySpan<float> maskInput, bool withIntermediates = false, CancellationToken cancellationToken = default) =>
            inner.Decode(embedding, tokens, maskInput, withIntermediates, cancellationToken);
        public void Dispose() { }
    }
}
