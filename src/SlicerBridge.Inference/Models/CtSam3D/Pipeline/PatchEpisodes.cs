namespace SlicerBridge.Inference.Models.CtSam3D.Pipeline;

/// <summary>One click on the 1.5 mm grid (integer voxel, as the official tool receives it).</summary>
public readonly record struct GridClick((int X, int Y, int Z) Voxel, bool Positive);

/// <summary>A patch and the clicks given in it since it was opened, in patch voxel coordinates.</summary>
public sealed record PatchEpisode((int X, int Y, int Z) Center, IReadOnlyList<CtSamClick> Clicks);

/// <summary>
/// The official tool's click → patch logic (henguo/itkwidgets viewer.py; spec §8.2), replayed over the ordered clicks:
/// the first positive click opens a 64³ patch centred on it; a click inside the current patch is added to it; a positive
/// click outside opens a new patch (clicks and mask prompt start over); a negative click outside is ignored.
/// </summary>
/// <remarks>
/// One deliberate difference: the tool relabels a right (negative) click as positive when the current patch has no
/// points yet. A click the user marked as background never becomes foreground here; it is ignored until a positive
/// click has opened a patch.
/// </remarks>
public static class PatchEpisodes
{
    public static List<PatchEpisode> Replay(IEnumerable<GridClick> clicks, int patchSize = 64)
    {
        var episodes = new List<PatchEpisode>();
        (int X, int Y, int Z) center = default;
        List<CtSamClick>? current = null;
        foreach (var click in clicks)
        {
            if (current is not null && TryInside(center, click.Voxel, patchSize, out var p))
            {
                current.Add(new CtSamClick(p.X, p.Y, p.Z, click.Positive ? 1 : 0));
                continue;
            }
            if (!click.Positive) continue;
            center = click.Voxel;
            current = [new CtSamClick(patchSize / 2, patchSize / 2, patchSize / 2, 1)];
            episodes.Add(new PatchEpisode(center, current));
        }
        return episodes;
    }

    private static bool TryInside((int X, int Y, int Z) center, (int X, int Y, int Z) voxel, int size, out (int X, int Y, int Z) patchVoxel)
    {
        patchVoxel = (voxel.X - center.X + size / 2, voxel.Y - center.Y + size / 2, voxel.Z - center.Z + size / 2);
        return (uint)patchVoxel.X < (uint)size && (uint)patchVoxel.Y < (uint)size && (uint)patchVoxel.Z < (uint)size;
    }
}
