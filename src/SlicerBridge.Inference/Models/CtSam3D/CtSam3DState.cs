using SlicerBridge.Inference.Models.CtSam3D.Pipeline;

namespace SlicerBridge.Inference.Models.CtSam3D;

/// <summary>
/// What CT-SAM3D carries from one click to the next on a volume: every patch episode so far with its last mask, and the
/// current patch's last probability map (the next click's mask prompt, spec §3.2). A request whose clicks extend these
/// decodes only the new clicks; anything else is replayed from the clicks.
/// </summary>
public sealed class CtSam3DState(string contentKey, IReadOnlyList<CtSam3DState.Episode> episodes) : ModelState
{
    public sealed record Episode(PatchEpisode Patch, byte[] Mask, float[]? Probability);

    public string ContentKey { get; } = contentKey;
    public IReadOnlyList<Episode> Episodes { get; } = episodes;
    public override long SizeBytes => Episodes.Sum(e => e.Mask.LongLength + (e.Probability?.LongLength ?? 0) * sizeof(float) + e.Patch.Clicks.Count * 16L) + 64;
}
