using SlicerBridge.Inference.Models.SamMed2D.Pipeline;

namespace SlicerBridge.Inference.Models.SamMed2D;

/// <summary>
/// The official <c>SammedPredictor</c> (spec §7) over a network: <see cref="Encode"/> is <c>set_image</c> (normalise,
/// nearest resize, encoder), <see cref="Predict"/> is <c>predict</c> (coordinate transform, padding point, prompt encoder
/// and decoder, best of tokens 1–3 when multimask, bilinear 64 → 256 → H × W, logit &gt; 0). Stateless and thread-safe:
/// the frame's embedding travels in <see cref="EncodedFrame"/>.
/// </summary>
public sealed class SamMed2DPredictor(ISamMed2DNetwork network)
{
    public ISamMed2DNetwork Network { get; } = network;

    /// <summary>Encodes an H × W × 3 uint8 frame (grey replicated, or BGR for colour frames, as training read them).</summary>
    public EncodedFrame EncodeHwc(ReadOnlySpan<byte> hwc, int height, int width, CancellationToken cancellationToken) =>
        Encode(FramePreprocessor.FromHwc(hwc, height, width, Network.Config), height, width, cancellationToken);

    /// <summary>Encodes an H × W uint8 grey frame (replicated into the three channels).</summary>
    public EncodedFrame EncodeGrey(ReadOnlySpan<byte> grey, int height, int width, CancellationToken cancellationToken) =>
        Encode(FramePreprocessor.FromGrey(grey, height, width, Network.Config), height, width, cancellationToken);

    private EncodedFrame Encode(float[] input, int height, int width, CancellationToken cancellationToken) =>
        new(input, Network.EncodeImage(input, cancellationToken), height, width);

    /// <summary>
    /// One <c>predict</c> call. <paramref name="maskInput"/> is the mask prompt: R × R probabilities, usually
    /// <see cref="MaskPrompt"/> of an earlier prediction's <see cref="SamMed2DPrediction.LowRes"/> on the same frame size.
    /// With no points, no box and no mask the decoder still runs (the official code allows it).
    /// </summary>
    public SamMed2DPrediction Predict(EncodedFrame frame, IReadOnlyList<FramePoint> points, FrameBox? box, float[]? maskInput,
        bool multimask = true, bool withIntermediates = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentNullException.ThrowIfNull(points);
        var c = Network.Config;
        int r = c.LowResSize, s = c.ImageSize;
        var tokens = PromptTransform.Tokens(points, box, frame.Height, frame.Width, s);
        var output = Network.Decode(frame.Embedding, tokens, maskInput ?? [], withIntermediates, cancellationToken);

        int selected = 0;
        if (multimask)
        {
            selected = 1;
            for (int m = 2; m < c.NumMaskTokens; m++)
                if (output.Iou[m] > output.Iou[selected]) selected = m;   // torch.max: the first of equal maxima
        }
        var lowRes = output.LowResLogits.AsSpan(selected * r * r, r * r).ToArray();
        var logits = BilinearResize.Resize(BilinearResize.Resize(lowRes, r, r, s, s), s, s, frame.Height, frame.Width);
        var mask = new byte[logits.Length];
        for (int i = 0; i < logits.Length; i++) mask[i] = logits[i] > 0 ? (byte)1 : (byte)0;
        return new SamMed2DPrediction
        {
            Tokens = tokens,
            Output = output,
            SelectedToken = selected,
            LowRes = lowRes,
            Iou = output.Iou[selected],
            Logits = logits,
            Mask = mask,
        };
    }

    /// <summary>The official mask prompt from earlier low-res logits: their sigmoid (spec §7.3, a SAM-Med2D quirk).</summary>
    public static float[] MaskPrompt(ReadOnlySpan<float> lowResLogits)
    {
        var result = new float[lowResLogits.Length];
        for (int i = 0; i < result.Length; i++) result[i] = 1f / (1f + MathF.Exp(-lowResLogits[i]));
        return result;
    }
}

/// <summary>A frame after <c>set_image</c>: the encoder input (3 × S × S), its embedding (C × G × G) and the frame size.</summary>
public sealed record EncodedFrame(float[] Input, float[] Embedding, int Height, int Width);

/// <summary>One prediction: the selected mask token's low-res logits, IoU, full-size logits and mask, and the raw decoder output.</summary>
public sealed class SamMed2DPrediction
{
    public required PromptToken[] Tokens { get; init; }
    public required SamMed2DDecoderOutput Output { get; init; }
    public required int SelectedToken { get; init; }
    /// <summary>R × R logits of the selected token (the next mask prompt's source).</summary>
    public required float[] LowRes { get; init; }
    public required float Iou { get; init; }
    /// <summary>H × W logits after the two bilinear steps.</summary>
    public required float[] Logits { get; init; }
    /// <summary>H × W, 1 where the logit is positive.</summary>
    public required byte[] Mask { get; init; }
}
