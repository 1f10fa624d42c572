using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.Models.SamMed2D.Pipeline;

/// <summary>
/// A one-slice volume as the 8-bit grey frame SAM-Med2D was trained on (spec §10: SA-Med2D-20M stores 8-bit images).
/// uint8 sources keep their values; other types are stretched linearly from their 0.5th to 99.5th percentile onto
/// 0–255 (clipped), so that 16-bit ultrasound, CT or float images use the model's input range.
/// </summary>
public static class FrameIntensity
{
    public const double LowPercentile = 0.5, HighPercentile = 99.5;

    /// <summary>Pixels in row-major order (row = J, column = I), one byte each.</summary>
    public static byte[] ToBytes(Volume volume)
    {
        ArgumentNullException.ThrowIfNull(volume);
        var voxels = volume.Voxels;
        var result = new byte[voxels.Length];
        if (volume.SourceType == VoxelType.UInt8)
        {
            for (int i = 0; i < voxels.Length; i++) result[i] = (byte)Math.Clamp(voxels[i], 0, 255);
            return result;
        }
        var sorted = (float[])voxels.Clone();
        Array.Sort(sorted);
        float low = sorted[(int)Math.Floor((sorted.Length - 1) * LowPercentile / 100)];
        float high = sorted[(int)Math.Ceiling((sorted.Length - 1) * HighPercentile / 100)];
        if (!(high > low)) { low = sorted[0]; high = sorted[^1]; }
        if (!(high > low)) return result;   // a constant frame: all zero
        double scale = 255.0 / (high - low);
        for (int i = 0; i < voxels.Length; i++) result[i] = (byte)Math.Clamp(Math.Round((voxels[i] - low) * scale), 0, 255);
        return result;
    }
}
