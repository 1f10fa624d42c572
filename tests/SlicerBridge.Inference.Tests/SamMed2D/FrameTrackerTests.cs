using SlicerBridge.Inference.Models.SamMed2D;
using SlicerBridge.Inference.Models.SamMed2D.Pipeline;
using SlicerBridge.Inference.Models.SamMed2D.Tracking;
using Xunit;

namespace SlicerBridge.Inference.Tests.SamMed2D;

/// <summary>How a prompt is carried from frame to frame: the user's prompt first, then the previous mask's widened box with its logits.</summary>
public sealed class FrameTrackerTests(SamMed2DFixture fixture) : IClassFixture<SamMed2DFixture>
{
    private EncodedFrame Ct()
    {
        var (hwc, h, w) = SamMed2DRunPlan.ReadImage(fixture.File("ct_image_u8.npy"));
        return fixture.Predictor.EncodeHwc(hwc, h, w, default);
    }

    [Fact]
    public void TheNextFrameIsPromptedByThePreviousMasksWidenedBoxAndLogits()
    {
        var frame = Ct();
        var tracker = new FrameTracker(fixture.Predictor, new TrackingOptions { MinScore = -100, BoxMargin = 0.1 });
        Assert.Null(tracker.Process(frame, default));                       // no prompt yet: no model work
        var box = new FrameBox(100, 85, 160, 175);
        tracker.Prompt([], box);

        var first = tracker.Process(frame, default)!;
        var expectedFirst = fixture.Predictor.Predict(frame, [], box, null);
        Assert.Equal(expectedFirst.Mask, first.Mask);
        Assert.Equal(TrackingState.Tracking, first.State);

        var bounds = FrameTracker.MaskBounds(first.Mask, frame.Height, frame.Width, out int pixels)!.Value;
        Assert.True(pixels > 0);
        double mx = Math.Max(2, (bounds.X1 - bounds.X0) * 0.1), my = Math.Max(2, (bounds.Y1 - bounds.Y0) * 0.1);
        var widened = new FrameBox(Math.Max(0, bounds.X0 - mx), Math.Max(0, bounds.Y0 - my), Math.Min(frame.Width, bounds.X1 + mx), Math.Min(frame.Height, bounds.Y1 + my));
        var second = tracker.Process(frame, default)!;
        var expectedSecond = fixture.Predictor.Predict(frame, [], widened, SamMed2DPredictor.MaskPrompt(expectedFirst.LowRes));
        Assert.Equal(expectedSecond.Mask, second.Mask);
        Assert.Equal(expectedSecond.Iou, second.Score);
    }

    [Fact]
    public void ALowScoreLosesTheTargetUntilANewPrompt()
    {
        var frame = Ct();
        var tracker = new FrameTracker(fixture.Predictor, new TrackingOptions { MinScore = 100 });
        tracker.Prompt([new FramePoint(113, 125, true)], null);
        Assert.Equal(TrackingState.Lost, tracker.Process(frame, default)!.State);
        Assert.Null(tracker.Process(frame, default));
        tracker.Prompt([new FramePoint(113, 125, true)], null);
        Assert.Equal(TrackingState.Tracking, tracker.State);
        Assert.Throws<ArgumentException>(() => tracker.Prompt([new FramePoint(1, 1, false)], null));
    }

    [Fact]
    public void MaskBoundsUseTheExclusiveMaximum()
    {
        var mask = new byte[5 * 4];
        mask[1 * 5 + 2] = mask[2 * 5 + 3] = 1;
        Assert.Equal(new FrameBox(2, 1, 4, 3), FrameTracker.MaskBounds(mask, 4, 5, out int n));
        Assert.Equal(2, n);
        Assert.Null(FrameTracker.MaskBounds(new byte[20], 4, 5, out _));
    }
}
