using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.Models.SamMed2D.Pipeline;

/// <summary>
/// Prompts in RAS projected onto a one-slice image (spec §10 "Geometry for Slicer"): a point counts when it lies within
/// half a slice of the plane (|k| ≤ 0.5) and inside the image; an ROI becomes the box around its footprint on the plane.
/// Frame pixels are (x = i, y = j) with pixel centres at integers, as the official predictor takes clicks.
/// </summary>
public static class ImagePlane
{
    public static bool IsImage2D(VolumeGeometry geometry) => geometry.SizeK == 1;

    /// <summary>The point in frame pixels, or null when it is off the plane or outside the image.</summary>
    public static FramePoint? Project(VolumeGeometry geometry, PromptPoint point)
    {
        if (!point.Ras.IsFinite) return null;
        var ijk = geometry.RasToIjkPoint(point.Ras);
        if (Math.Abs(ijk.Z) > 0.5 || !geometry.ContainsContinuous(ijk)) return null;
        return new FramePoint(ijk.X, ijk.Y, point.Positive);
    }

    /// <summary>
    /// The box of the ROI's footprint in frame pixels, in the official exclusive-max convention: an ROI whose edges run
    /// along pixel edges a − 0.5 … b + 0.5 gives [a, b + 1]; clipped to the image. Null when the ROI misses the plane or the image.
    /// </summary>
    public static FrameBox? Project(VolumeGeometry geometry, RoiBox roi)
    {
        double minI = double.MaxValue, minJ = double.MaxValue, minK = double.MaxValue;
        double maxI = double.MinValue, maxJ = double.MinValue, maxK = double.MinValue;
        foreach (int sx in new[] { -1, 1 })
            foreach (int sy in new[] { -1, 1 })
                foreach (int sz in new[] { -1, 1 })
                {
                    var corner = roi.Center + roi.AxisX * (sx * roi.Size.X / 2) + roi.AxisY * (sy * roi.Size.Y / 2) + roi.AxisZ * (sz * roi.Size.Z / 2);
                    var ijk = geometry.RasToIjkPoint(corner);
                    if (!ijk.IsFinite) return null;
                    (minI, maxI) = (Math.Min(minI, ijk.X), Math.Max(maxI, ijk.X));
                    (minJ, maxJ) = (Math.Min(minJ, ijk.Y), Math.Max(maxJ, ijk.Y));
                    (minK, maxK) = (Math.Min(minK, ijk.Z), Math.Max(maxK, ijk.Z));
                }
        if (minK > 0.5 || maxK < -0.5) return null;
        double x0 = Math.Clamp(minI + 0.5, 0, geometry.SizeI), x1 = Math.Clamp(maxI + 0.5, 0, geometry.SizeI);
        double y0 = Math.Clamp(minJ + 0.5, 0, geometry.SizeJ), y1 = Math.Clamp(maxJ + 0.5, 0, geometry.SizeJ);
        if (!(x1 > x0) || !(y1 > y0)) return null;
        return new FrameBox(x0, y0, x1, y1);
    }
}
