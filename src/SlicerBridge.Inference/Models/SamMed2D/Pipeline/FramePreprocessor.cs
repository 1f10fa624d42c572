namespace SlicerBridge.Inference.Models.SamMed2D.Pipeline;

/// <summary>
/// The official <c>SammedPredictor.set_image</c> input path (spec §7.1): an H × W × 3 uint8 frame is normalised per
/// channel in float32, (u8 − mean[c]) / std[c], then resized to S × S by OpenCV's nearest-neighbour rule without
/// keeping the aspect ratio, and laid out channels-first. Bit-exact with the official float32 input.
/// </summary>
public static class FramePreprocessor
{
    /// <summary>hwc: H × W × 3 bytes, row-major, channel fastest → float32 [3][S][S].</summary>
    public static float[] FromHwc(ReadOnlySpan<byte> hwc, int height, int width, SamMed2DConfig config)
    {
        CheckSize(height, width, hwc.Length, 3);
        return Resize(hwc, 3, height, width, config);
    }

    /// <summary>A grey frame (H × W bytes, row-major) replicated into the three channels, as grey medical frames are fed.</summary>
    public static float[] FromGrey(ReadOnlySpan<byte> grey, int height, int width, SamMed2DConfig config)
    {
        CheckSize(height, width, grey.Length, 1);
        return Resize(grey, 1, height, width, config);
    }

    /// <summary>OpenCV's INTER_NEAREST source index for each destination index: min(⌊dst · (1 / (dst_len / src_len))⌋, src_len − 1) in double.</summary>
    public static int[] NearestIndices(int sourceLength, int destinationLength)
    {
        double inverse = 1.0 / ((double)destinationLength / sourceLength);
        var result = new int[destinationLength];
        for (int d = 0; d < destinationLength; d++) result[d] = Math.Min((int)Math.Floor(d * inverse), sourceLength - 1);
        return result;
    }

    /// <summary>pixels: H × W × channels bytes (channels 1: grey, read for every output channel; 3: per channel).</summary>
    private static float[] Resize(ReadOnlySpan<byte> pixels, int channels, int height, int width, SamMed2DConfig config)
    {
        int s = config.ImageSize;
        // Every byte value maps to one float per channel: the table is the float32 arithmetic of the official code.
        var table = new float[3, 256];
        for (int c = 0; c < 3; c++)
            for (int v = 0; v < 256; v++) table[c, v] = (v - config.PixelMean[c]) / config.PixelStd[c];
        int[] rows = NearestIndices(height, s), cols = NearestIndices(width, s);
        var result = new float[3 * s * s];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < s; y++)
                for (int x = 0; x < s; x++)
                    result[(c * s + y) * s + x] = table[c, pixels[(rows[y] * width + cols[x]) * channels + (channels == 1 ? 0 : c)]];
        return result;
    }

    private static void CheckSize(int height, int width, int length, int channels)
    {
        if (height < 1 || width < 1) throw new ArgumentException($"A frame needs a positive size, got {width}×{height}.");
        if ((long)height * width * channels != length)
            throw new ArgumentException($"A {width}×{height} frame with {channels} channel(s) needs {(long)height * width * channels} bytes, got {length}.");
    }
}
