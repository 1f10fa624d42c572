using SlicerBridge.Inference.Models.SamMed2D.Pipeline;

namespace SlicerBridge.Inference.Models.SamMed2D.Tracking;

/// <summary>
/// Follows one structure through a stream of frames with SAM-Med2D (spec §10; our design, not upstream behaviour).
/// A prompt (box and/or clicks in frame pixels) segments the next frame; after that each frame is prompted by the
/// previous mask's box, widened for motion, together with the sigmoid of the previous low-res logits (the fixture's p4
/// pattern: box + mask prompt), as long as the frame size stays the same. When the mask vanishes or its predicted IoU
/// falls below <see cref="TrackingOptions.MinScore"/> the tracker is lost and frames are not segmented until a new prompt.
/// Not thread-safe: one tracker per stream, fed by one loop.
/// </summary>
public sealed class FrameTracker(SamMed2DPredictor predictor, TrackingOptions options)
{
    private IReadOnlyList<FramePoint> _points = [];
    private FrameBox? _box;
    private bool _prompted;
    private FrameBox? _previousBox;
    private float[]? _previousLowRes;
    private (int Height, int Width) _previousSize;

    public TrackingState State { get; private set; } = TrackingState.WaitingForPrompt;

    /// <summary>A new prompt for the next frame (StartStream, a new POINT or ROI): clears what was carried.</summary>
    public void Prompt(IReadOnlyList<FramePoint> points, FrameBox? box)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (box is null && !points.Any(p => p.Positive)) throw new ArgumentException("A tracking prompt needs a box or a positive point.");
        (_points, _box, _prompted) = (points, box, true);
        (_previousBox, _previousLowRes) = (null, null);
        State = TrackingState.Tracking;
    }

    /// <summary>Segments one encoded frame; null (and no model work) while waiting for a prompt or lost.</summary>
    public TrackedFrame? Process(EncodedFrame frame, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (State != TrackingState.Tracking) return null;
        SamMed2DPrediction prediction;
        if (_prompted)
        {
            prediction = predictor.Predict(frame, _points, _box, null, multimask: true, cancellationToken: cancellationToken);
            _prompted = false;
        }
        else
        {
            bool sameSize = _previousSize == (frame.Height, frame.Width);
            var maskPrompt = sameSize && _previousLowRes is not null ? SamMed2DPredictor.MaskPrompt(_previousLowRes) : null;
            var box = sameSize ? _previousBox : null;
            if (box is null && maskPrompt is null) { State = TrackingState.Lost; return new TrackedFrame(new byte[frame.Height * frame.Width], 0, State); }
            prediction = predictor.Predict(frame, [], box, maskPrompt, multimask: true, cancellationToken: cancellationToken);
        }
        var bounds = MaskBounds(prediction.Mask, frame.Height, frame.Width, out int pixels);
        _previousSize = (frame.Height, frame.Width);
        if (pixels < options.MinMaskPixels || prediction.Iou < options.MinScore || bounds is null)
        {
            State = TrackingState.Lost;
            return new TrackedFrame(prediction.Mask, prediction.Iou, State);
        }
        _previousLowRes = prediction.LowRes;
        _previousBox = Widen(bounds.Value, frame.Height, frame.Width);
        return new TrackedFrame(prediction.Mask, prediction.Iou, State);
    }

    /// <summary>[min column, min row, max column + 1, max row + 1] of the mask (the evaluation convention), or null when empty.</summary>
    public static FrameBox? MaskBounds(byte[] mask, int height, int width, out int pixels)
    {
        int minR = int.MaxValue, minC = int.MaxValue, maxR = -1, maxC = -1;
        pixels = 0;
        for (int r = 0; r < height; r++)
            for (int c = 0; c < width; c++)
                if (mask[r * width + c] != 0)
                {
                    pixels++;
                    (minR, maxR) = (Math.Min(minR, r), Math.Max(maxR, r));
                    (minC, maxC) = (Math.Min(minC, c), Math.Max(maxC, c));
                }
        return pixels == 0 ? null : new FrameBox(minC, minR, maxC + 1, maxR + 1);
    }

    private FrameBox Widen(FrameBox b, int height, int width)
    {
        double mx = Math.Max(options.MinBoxMarginPixels, (b.X1 - b.X0) * options.BoxMargin);
        double my = Math.Max(options.MinBoxMarginPixels, (b.Y1 - b.Y0) * options.BoxMargin);
        return new FrameBox(Math.Max(0, b.X0 - mx), Math.Max(0, b.Y0 - my), Math.Min(width, b.X1 + mx), Math.Min(height, b.Y1 + my));
    }
}

public enum TrackingState { WaitingForPrompt, Tracking, Lost }

/// <summary>One segmented frame: its mask (frame pixels, row-major), the selected mask's predicted IoU, and the state after it.</summary>
public sealed record TrackedFrame(byte[] Mask, float Score, TrackingState State);
