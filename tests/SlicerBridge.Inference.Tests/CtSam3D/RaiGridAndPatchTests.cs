using SlicerBridge.Inference.IO;
using SlicerBridge.Inference.Models.CtSam3D;
using SlicerBridge.Inference.Models.CtSam3D.Pipeline;
using SlicerBridge.Inference.Volumes;
using Xunit;

namespace SlicerBridge.Inference.Tests.CtSam3D;

/// <summary>The official resampling grid (spec §8.1), the patch crop and normalisation (§8.2-8.3), and the click → patch replay.</summary>
public sealed class RaiGridAndPatchTests
{
    private static readonly Vec3 Left = new(-1, 0, 0), Posterior = new(0, -1, 0), Superior = new(0, 0, 1);

    [Fact]
    public void IdentityLpsInputKeepsItsOriginAndRoundsTheSizeHalfEven()
    {
        // 0.75 mm × 101 = 75.75 mm → 50.5 cells → 50 (half to even); 1.5 × 40 → 40; 3 mm × 11 → 22.
        var source = new VolumeGeometry(101, 40, 11, Left * 0.75, Posterior * 1.5, Superior * 3, new Vec3(10, 20, 30));
        var grid = RaiGrid.For(source);
        Assert.Equal((50, 40, 22), (grid.Geometry.SizeI, grid.Geometry.SizeJ, grid.Geometry.SizeK));
        Assert.Equal(new Vec3(10, 20, 30), grid.Geometry.Origin);
        Assert.Equal(Left * 1.5, grid.Geometry.ColumnI);
        Assert.Equal(Posterior * 1.5, grid.Geometry.ColumnJ);
        Assert.Equal(Superior * 1.5, grid.Geometry.ColumnK);
    }

    [Fact]
    public void RasAlignedNiftiPutsThePaddingVoxelFirst()
    {
        // A RAS-aligned NIfTI (ITK direction diag(−1, −1, 1)): 512 columns at 0.8 mm give 273 columns, the first of which lies
        // one input voxel beyond the data and is padding; input column 0 is never reached (spec §8.1).
        var source = new VolumeGeometry(512, 4, 4, new Vec3(0.8, 0, 0), new Vec3(0, 0.8, 0), new Vec3(0, 0, 1.5), new Vec3(0, 0, 0));
        var grid = RaiGrid.For(source);
        Assert.Equal(273, grid.Geometry.SizeI);
        var voxels = Enumerable.Range(0, 512 * 16).Select(i => (float)(i % 512)).ToArray();
        var volume = new Volume(source, voxels, sourceType: VoxelType.Int16);
        var patch = new CtPatch(grid, (32, 1, 1));
        var hu = patch.SampleHu(volume);
        int row = (32 * 64 + 32) * 64;                         // patch y = z = 32: grid voxel (·, 1, 1), inside the data
        Assert.Equal(-1024, hu[row + 0]);                     // grid x 0: beyond the last voxel centre → pad
        // grid x 1 is RAS x = 409.6 − 1.5 = 408.1 → input column 510.125, truncated to int16 like ITK's cast.
        Assert.Equal(510, hu[row + 1]);
    }

    [Fact]
    public void NormalisationReproducesTheFixtureInput()
    {
        var hu = NpyFile.Read(TestPaths.Fixture("ct-sam3d-tiny", "patch_hu.npy")).ToFloat32();
        var expected = NpyFile.Read(TestPaths.Fixture("ct-sam3d-tiny", "input_patch.npy")).ToFloat32();
        var actual = CtPatch.Normalise(hu, -125, 225);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void PatchAroundAClickCopiesTheGridAndPadsOutsideIt()
    {
        var source = new VolumeGeometry(40, 40, 40, Left * 1.5, Posterior * 1.5, Superior * 1.5, new Vec3(0, 0, 0));
        var voxels = new float[40 * 40 * 40];
        for (int i = 0; i < voxels.Length; i++) voxels[i] = i % 1000;
        var volume = new Volume(source, voxels, sourceType: VoxelType.Int16);
        var patch = new CtPatch(RaiGrid.For(source), (10, 20, 30));
        Assert.Equal((-22, -12, -2), patch.Start);
        var hu = patch.SampleHu(volume);
        // Patch voxel p = grid voxel c − 32 + p: patch (32, 32, 32) is grid (10, 20, 30).
        Assert.Equal(volume[10, 20, 30], hu[(32 * 64 + 32) * 64 + 32]);
        Assert.Equal(volume[0, 0, 0], hu[(2 * 64 + 12) * 64 + 22]);
        Assert.Equal(-1024, hu[(2 * 64 + 12) * 64 + 21]);     // grid x −1
        Assert.Equal(-1024, hu[(63 * 64 + 32) * 64 + 32]);    // grid z 61 ≥ 40
    }

    [Fact]
    public void ClicksReplayTheToolsPatchLogic()
    {
        GridClick C(int x, int y, int z, bool positive = true) => new((x, y, z), positive);
        var episodes = PatchEpisodes.Replay([
            C(5, 5, 5, positive: false),      // background before any patch: ignored
            C(100, 100, 100),                 // opens patch 1, click at (32, 32, 32)
            C(110, 90, 101, positive: false), // inside: patch voxel (42, 22, 33)
            C(200, 100, 100, positive: false),// negative outside: ignored
            C(131, 100, 100),                 // x 63 inside (patch voxels 0..63)
            C(132, 100, 100),                 // positive outside: opens patch 2
            C(140, 100, 100, positive: false)]);
        Assert.Equal(2, episodes.Count);
        Assert.Equal((100, 100, 100), episodes[0].Center);
        Assert.Equal([new CtSamClick(32, 32, 32, 1), new CtSamClick(42, 22, 33, 0), new CtSamClick(63, 32, 32, 1)], episodes[0].Clicks);
        Assert.Equal((132, 100, 100), episodes[1].Center);
        Assert.Equal([new CtSamClick(32, 32, 32, 1), new CtSamClick(40, 32, 32, 0)], episodes[1].Clicks);
    }

    [Fact]
    public void ClickOutsideThePatchIsRefusedByTheRasteriser()
    {
        Assert.Throws<ArgumentException>(() => ClickMaps.Rasterise([new CtSamClick(64, 0, 0, 1)], 64));
        Assert.Throws<ArgumentException>(() => ClickMaps.Rasterise([new CtSamClick(-0.5f, 0, 0, 1)], 64));
        Assert.Throws<ArgumentException>(() => ClickMaps.Rasterise([new CtSamClick(1, 1, 1, 2)], 64));
        var maps = ClickMaps.Rasterise([new CtSamClick(0, 0, 0, 0), new CtSamClick(1, 1, 1, -1)], 64);
        Assert.Equal(1f, maps[64 * 64 * 64]);                 // negative map, voxel (0,0,0)
        Assert.Equal(0f, maps.AsSpan(0, 64 * 64 * 64).ToArray().Max()); // the ignored click wrote nothing
    }
}
