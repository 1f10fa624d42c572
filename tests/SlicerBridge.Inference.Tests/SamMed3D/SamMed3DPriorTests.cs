using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Models.SamMed3D;
using SlicerBridge.Inference.Models.SamMed3D.Pipeline;
using SlicerBridge.Inference.Volumes;
using Xunit;

namespace SlicerBridge.Inference.Tests.SamMed3D;

/// <summary>A prior as SAM-Med3D's first mask prompt (docs/protocol.md, "Refining an existing segment"), in RAS mm.</summary>
public sealed class SamMed3DPriorTests
{
    /// <summary>LPS-ordered, anisotropic, rotated: 1 mm × 1.2 mm × 2 mm.</summary>
    private static Volume ObliqueVolume(int n = 96)
    {
        double c = Math.Cos(0.3), s = Math.Sin(0.3);
        var g = new VolumeGeometry(n, n, n / 2,
            new Vec3(-1.0 * c, -1.0 * s, 0), new Vec3(1.2 * s, -1.2 * c, 0), new Vec3(0, 0, 2.0), new Vec3(40, 30, -50));
        var voxels = new float[g.VoxelCount];
        var rng = new Random(3);
        for (int i = 0; i < voxels.Length; i++) voxels[i] = 100 + (float)rng.NextDouble();
        return new Volume(g, voxels, "oblique");
    }

    private static PriorMask Ball(VolumeGeometry g, Vec3 centre, double radiusMm)
    {
        var voxels = new byte[g.VoxelCount];
        for (int k = 0; k < g.SizeK; k++)
            for (int j = 0; j < g.SizeJ; j++)
                for (int i = 0; i < g.SizeI; i++)
                    if ((g.IjkToRasPoint(new Vec3(i, j, k)) - centre).Length <= radiusMm) voxels[g.Index(i, j, k)] = 1;
        return new PriorMask(g, voxels);
    }

    private static SamMed3DModel Model(FakeSamNetwork network) => new("sam-med3d", network, new SamMed3DPipelineOptions(), "fake", 0);

    [Fact]
    public void The_first_decode_gets_the_prior_as_area_fraction_logits_later_ones_the_previous_logits()
    {
        var volume = ObliqueVolume();
        var click = volume.Geometry.IjkToRasPoint(new Vec3(50, 40, 20));
        const double radius = 15;
        var prior = Ball(volume.Geometry, click, radius);
        var network = new FakeSamNetwork { RadiusVoxels = 8 };
        var model = Model(network);
        var first = model.Segment(new SegmentationRequest { Volume = volume, Points = [new PromptPoint(click, true)], Prior = prior }, default);

        float[] prompt = network.PromptLogits[0];
        Assert.Equal(32 * 32 * 32, prompt.Length);
        float m = PriorPrompt.Magnitude;
        Assert.All(prompt, l => Assert.InRange(l, -m, m));
        // Every logit is (2f − 1)·M with f a multiple of 1/64 (4³ crop voxels per low-res voxel).
        Assert.All(prompt, l => Assert.Equal(0, ((l / m + 1) / 2 * 64) - Math.Round((l / m + 1) / 2 * 64), 3));
        // The click is at the crop centre (64 ± 1 crop voxels → low-res 16): well inside the ball, fully inside.
        Assert.Equal(m, prompt[(16 * 32 + 16) * 32 + 16]);
        Assert.Equal(-m, prompt[0]);
        // Σ f × (4 × 1.5 mm)³ is the ball's volume (nearest-neighbour sampling: within 10 %).
        double insideMm3 = prompt.Sum(l => (l / m + 1) / 2) * Math.Pow(4 * 1.5, 3);
        double ballMm3 = 4.0 / 3 * Math.PI * Math.Pow(radius, 3);
        Assert.InRange(insideMm3, ballMm3 * 0.9, ballMm3 * 1.1);

        // The second click uses the first result's logits, not the prior again.
        var second = model.Segment(new SegmentationRequest
        {
            Volume = volume, Points = [new PromptPoint(click, true), new PromptPoint(click + new Vec3(3, 0, 0), true)],
            Previous = first.State, Prior = prior,
        }, default);
        Assert.Equal(((SamMed3DState)first.State!).LowResLogits, network.PromptLogits[1]);

        // A state from another prior (or none) is not reused: the new prior is the prompt again.
        var other = Ball(volume.Geometry, click, 10);
        model.Segment(new SegmentationRequest { Volume = volume, Points = [new PromptPoint(click, true)], Previous = second.State, Prior = other }, default);
        Assert.True(network.PromptLogits[2].Sum(l => (l / m + 1) / 2) < prompt.Sum(l => (l / m + 1) / 2) / 2);

        // Without a prior the first prompt is empty (zeros inside the network), as before.
        model.Segment(new SegmentationRequest { Volume = volume, Points = [new PromptPoint(click, true)] }, default);
        Assert.Empty(network.PromptLogits[3]);
    }

    [Fact]
    public void A_prior_on_another_grid_is_a_segmentation_error()
    {
        var volume = ObliqueVolume(48);
        var elsewhere = VolumeGeometry.AxisAligned(48, 48, 24, new Vec3(1, 1, 2), new Vec3(0, 0, 0));
        var prior = new PriorMask(elsewhere, Enumerable.Repeat((byte)1, (int)elsewhere.VoxelCount).ToArray());
        var click = volume.Geometry.IjkToRasPoint(new Vec3(24, 24, 12));
        Assert.Throws<SegmentationException>(() => Model(new FakeSamNetwork()).Segment(
            new SegmentationRequest { Volume = volume, Points = [new PromptPoint(click, true)], Prior = prior }, default));
    }

    [Fact]
    public void Crop_voxels_outside_the_volume_count_as_outside()
    {
        // A 1.5 mm volume filled with the prior, smaller than the crop: inside the volume +M, beyond it −M.
        var g = VolumeGeometry.AxisAligned(40, 40, 40, new Vec3(1.5, 1.5, 1.5), new Vec3(0, 0, 0));
        var prior = new PriorMask(g, Enumerable.Repeat((byte)1, (int)g.VoxelCount).ToArray());
        var grid = CanonicalGrid.For(g, 1.5);
        var crop = SamCrop.Centered(grid, grid.ToIndex(new Vec3(30, 30, 30)), 128);
        float[] logits = PriorPrompt.LowResLogits(crop, prior, 32);
        double insideMm3 = logits.Sum(l => (l / PriorPrompt.Magnitude + 1) / 2) * Math.Pow(6, 3);
        Assert.Equal(Math.Pow(40 * 1.5, 3), insideMm3, 6); // exactly the volume's extent: 1.5 mm crop voxels on its voxel centres
        Assert.Contains(PriorPrompt.Magnitude, logits);
        Assert.Contains(-PriorPrompt.Magnitude, logits);
    }
}
