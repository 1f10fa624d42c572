using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Host.Sessions;

/// <summary>A prompt point as it arrived (POINT element or Segment "points" entry), with how to name it in an error.</summary>
public readonly record struct IncomingPoint(Vec3 Ras, bool Positive, string Who);

/// <summary>
/// The one check of prompt points, at the boundary where they enter a session: finite, and inside the volume they
/// prompt. Everything past this point (queue, models) may assume valid prompts.
/// </summary>
public static class PromptCheck
{
    public static Outcome<List<PromptPoint>> Validate(IReadOnlyList<IncomingPoint> points, VolumeSlot slot)
    {
        var valid = new List<PromptPoint>(points.Count);
        foreach (var p in points)
        {
            if (!p.Ras.IsFinite)
                return new Rejection(RejectionKind.BadPoint, $"{p.Who} has a NaN or infinite coordinate.");
            if (!slot.Geometry.ContainsContinuous(slot.Geometry.RasToIjkPoint(p.Ras)))
                return new Rejection(RejectionKind.PointOutside, $"{p.Who} at RAS {p.Ras} lies outside volume '{slot.Name}'.");
            valid.Add(new PromptPoint(p.Ras, p.Positive));
        }
        return valid;
    }
}
