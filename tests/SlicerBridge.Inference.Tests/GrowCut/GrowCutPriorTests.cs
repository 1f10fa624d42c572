using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Models.GrowCut;
using SlicerBridge.Inference.Volumes;
using static SlicerBridge.Inference.Tests.GrowCut.GrowCutPhantoms;

namespace SlicerBridge.Inference.Tests.GrowCut;

/// <summary>GrowCut starting from a prior (docs/protocol.md, "Refining an existing segment").</summary>
public class GrowCutPriorTests
{
    private static readonly RoiBox WholePhantom = RoiBox.FromCorners(new Vec3(2, 2, 2), new Vec3(58, 38, 38));

    private static PriorMask Prior(VolumeGeometry g, Func<Vec3, bool> inside)
    {
        var voxels = new byte[g.VoxelCount];
        for (int k = 0; k < g.SizeK; k++)
            for (int j = 0; j < g.SizeJ; j++)
                for (int i = 0; i < g.SizeI; i++)
                    if (inside(g.IjkToRasPoint(new Vec3(i, j, k)))) voxels[g.Index(i, j, k)] = 1;
        return new PriorMask(g, voxels);
    }

    [Fact]
    public void A_click_inside_the_prior_keeps_it_and_a_click_on_a_missed_part_adds_that_part()
    {
        // Two touching spheres of the same intensity: the prior is the left one, the click is on the right one.
        var (volume, left, right, lc, rc) = TwoSpheres(new Vec3(1, 1, 1), b: 100);
        var prior = Prior(volume.Geometry, p => (p - lc).Length <= 10);
        using var model = new GrowCutModel();
        var inside = model.Segment(new SegmentationRequest { Volume = volume, Points = [new PromptPoint(lc, true)], Roi = WholePhantom, Prior = prior },
            CancellationToken.None);
        for (int v = 0; v < inside.Mask.Length; v++) if (prior.Voxels[v] != 0) Assert.Equal(1, inside.Mask[v]);
        Assert.True(Dice(inside.Mask, right) < 0.05, $"the click inside the prior spilled into the right sphere: {Dice(inside.Mask, right):0.000}");

        var added = model.Segment(new SegmentationRequest
        {
            Volume = volume, Points = [new PromptPoint(lc, true), new PromptPoint(rc, true)], Roi = WholePhantom, Prior = prior, Previous = inside.State,
        }, CancellationToken.None);
        var both = left.Zip(right, (a, b) => (byte)(a | b)).ToArray();
        Assert.True(Dice(added.Mask, both) > 0.85, $"Dice with both spheres {Dice(added.Mask, both):0.000}");

        // Applying the second click to the first state gives what a full replay from the prior gives.
        var replay = model.Segment(new SegmentationRequest
        {
            Volume = volume, Points = [new PromptPoint(lc, true), new PromptPoint(rc, true)], Roi = WholePhantom, Prior = prior,
        }, CancellationToken.None);
        Assert.Equal(replay.Mask, added.Mask);
    }

    [Fact]
    public void A_negative_click_inside_the_prior_wins_its_seed_sphere_and_the_core_around_it()
    {
        // The prior covers both spheres; a negative click in the centre of the right one.
        var (volume, left, right, lc, rc) = TwoSpheres(new Vec3(1, 1, 1));
        var prior = Prior(volume.Geometry, p => (p - lc).Length <= 10 || (p - rc).Length <= 10);
        using var model = new GrowCutModel();
        var result = model.Segment(new SegmentationRequest
        {
            Volume = volume, Points = [new PromptPoint(lc, true), new PromptPoint(rc, false)], Roi = WholePhantom, Prior = prior,
        }, CancellationToken.None);
        var g = volume.Geometry;
        long seedSphere = 0, removed = 0;
        for (int k = 0; k < g.SizeK; k++)
            for (int j = 0; j < g.SizeJ; j++)
                for (int i = 0; i < g.SizeI; i++)
                {
                    long n = g.Index(i, j, k);
                    if ((g.IjkToRasPoint(new Vec3(i, j, k)) - rc).Length <= model.Options.SeedRadiusMm)
                    {
                        seedSphere++;
                        Assert.Equal(0, result.Mask[n]); // the negative click wins over the prior where it is placed
                    }
                    if (prior.Voxels[n] != 0 && result.Mask[n] == 0) removed++;
                }
        // It also takes the voxels around it that are cheaper to reach from it than from the prior's edge ...
        Assert.True(removed > 2 * seedSphere, $"removed {removed} voxels, the seed sphere has {seedSphere}");
        // ... and nothing of the left sphere.
        for (int v = 0; v < left.Length; v++) if (left[v] != 0 && prior.Voxels[v] != 0) Assert.Equal(1, result.Mask[v]);
    }

    [Fact]
    public void A_prior_outside_the_roi_is_the_same_as_none_and_a_state_from_another_prior_is_not_continued()
    {
        var (volume, left, _, lc, rc) = TwoSpheres(new Vec3(1, 1, 1), b: 0);
        var leftHalf = RoiBox.FromCorners(new Vec3(2, 2, 2), new Vec3(29, 38, 38));
        var farAway = Prior(volume.Geometry, p => (p - rc).Length <= 5); // wholly outside the ROI
        using var model = new GrowCutModel();
        var plain = model.Segment(new SegmentationRequest { Volume = volume, Points = [new PromptPoint(lc, true)], Roi = leftHalf }, CancellationToken.None);
        var withPrior = model.Segment(new SegmentationRequest { Volume = volume, Points = [new PromptPoint(lc, true)], Roi = leftHalf, Prior = farAway },
            CancellationToken.None);
        Assert.Equal(plain.Mask, withPrior.Mask);
        Assert.True(Dice(plain.Mask, left) > 0.9);

        // Continuing a state made without the prior would ignore it: the model replays from the prior instead.
        var block = Prior(volume.Geometry, p => Math.Abs(p.X - 15) <= 3 && Math.Abs(p.Y - 5) <= 2 && Math.Abs(p.Z - 20) <= 2);
        var next = model.Segment(new SegmentationRequest
        {
            Volume = volume, Points = [new PromptPoint(lc, true), new PromptPoint(lc + new Vec3(1, 0, 0), true)], Roi = leftHalf,
            Previous = plain.State, Prior = block,
        }, CancellationToken.None);
        for (int v = 0; v < next.Mask.Length; v++) if (block.Voxels[v] != 0) Assert.Equal(1, next.Mask[v]);
    }
}
