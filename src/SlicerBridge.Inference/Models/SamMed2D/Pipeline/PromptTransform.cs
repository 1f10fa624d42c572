namespace SlicerBridge.Inference.Models.SamMed2D.Pipeline;

/// <summary>
/// Frame pixels → model pixels (spec §7.2): x' = x · (S / W), y' = y · (S / H) in double, stored as float32; the prompt
/// encoder adds 0.5 afterwards (a quirk kept: it is not the centre of the matching model pixel). Points are (column, row)
/// with pixel centres at integers; a box is [x0, y0, x1, y1].
/// </summary>
public static class PromptTransform
{
    public static float ToModel(double coordinate, int frameLength, int imageSize) => (float)(coordinate * ((double)imageSize / frameLength));

    /// <summary>The predictor's sparse tokens: points with labels 1/0, then the padding point (0, 0, −1) when there is no box, else the two box corners.</summary>
    public static PromptToken[] Tokens(IReadOnlyList<FramePoint> points, FrameBox? box, int height, int width, int imageSize)
    {
        var tokens = new List<PromptToken>(points.Count + 2);
        foreach (var p in points)
            tokens.Add(new PromptToken(ToModel(p.X, width, imageSize), ToModel(p.Y, height, imageSize), p.Positive ? PromptEncoder.PositiveLabel : PromptEncoder.NegativeLabel));
        if (box is { } b)
        {
            tokens.Add(new PromptToken(ToModel(b.X0, width, imageSize), ToModel(b.Y0, height, imageSize), PromptEncoder.BoxTopLeftLabel));
            tokens.Add(new PromptToken(ToModel(b.X1, width, imageSize), ToModel(b.Y1, height, imageSize), PromptEncoder.BoxBottomRightLabel));
        }
        else if (points.Count > 0) tokens.Add(new PromptToken(0, 0, PromptEncoder.PaddingLabel));
        return tokens.ToArray();
    }
}

/// <summary>A click in frame pixels: X = column, Y = row (pixel centres at integers).</summary>
public readonly record struct FramePoint(double X, double Y, bool Positive);

/// <summary>A box in frame pixels, [X0, Y0, X1, Y1] as the official predictor takes it (exclusive max, as regionprops gives).</summary>
public readonly record struct FrameBox(double X0, double Y0, double X1, double Y1);
