using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Models.SamMed3D.Pipeline;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.Tests.SamMed3D;

public class CropPasteBackTests
{
    private const int CropSize = 32;

    /// <summary>Rotated 25° about A, anisotropic spacing.</summary>
    private static VolumeGeometry ObliqueTarget()
    {
        double c = Math.Cos(0.436), s = Math.Sin(0.436);
        return new VolumeGeometry(90, 80, 30,
            new Vec3(c, 0, -s) * 0.6, new Vec3(0, 0.8, 0), new Vec3(s, 0, c) * 2.5, new Vec3(-10, -20, 5));
    }

    /// <summary>A crop mask that is 1 on the cube [from, to)³ of crop voxels.</summary>
    private static byte[] CubeMask(int from, int to)
    {
        var mask = new byte[CropSize * CropSize * CropSize];
        for (int a0 = from; a0 < to; a0++)
            for (int a1 = from; a1 < to; a1++)
                for (int a2 = from; a2 < to; a2++)
                    mask[(a0 * CropSize + a1) * CropSize + a2] = 1;
        return mask;
    }

    /// <summary>The crop value a target voxel takes by direct nearest-neighbour lookup, or null outside the crop.</summary>
    private static byte? NearestCropValue(SamCrop crop, byte[] cropMask, VolumeGeometry target, int i, int j, int k)
    {
        Vec3 idx = crop.ToCropIndex(target.IjkToRasPoint(new Vec3(i, j, k)));
        if (!crop.ContainsCropIndex(idx)) return null;
        int a0 = (int)Math.Floor(idx.X + 0.5), a1 = (int)Math.Floor(idx.Y + 0.5), a2 = (int)Math.Floor(idx.Z + 0.5);
        return cropMask[(a0 * CropSize + a1) * CropSize + a2];
    }

    private static SamCrop CropAround(VolumeGeometry target, Vec3 ras)
    {
        var grid = CanonicalGrid.For(target);
        return SamCrop.Centered(grid, grid.ToIndex(ras), CropSize);
    }

    [Fact]
    public void CubeLandsAtItsRasPosition_OnAnObliqueAnisotropicGrid()
    {
        VolumeGeometry target = ObliqueTarget();
        SamCrop crop = CropAround(target, target.IjkToRasPoint(new Vec3(45, 40, 15)));
        byte[] cube = CubeMask(10, 20);
        var pasted = new byte[target.VoxelCount];
        CropPasteBack.Paste(crop, cube, target, pasted);

        int ones = 0;
        Vec3 sum = default;
        for (int k = 0; k < target.SizeK; k++)
            for (int j = 0; j < target.SizeJ; j++)
                for (int i = 0; i < target.SizeI; i++)
                {
                    byte expected = NearestCropValue(crop, cube, target, i, j, k) ?? 0;
                    Assert.Equal(expected, pasted[target.Index(i, j, k)]);
                    if (expected == 1) { ones++; sum += target.IjkToRasPoint(new Vec3(i, j, k)); }
                }

        // Physically: a 15 mm cube (10 voxels of 1.5 mm) centred on crop index 14.5.
        Vec3 cubeCentre = crop.Geometry.IjkToRasPoint(new Vec3(14.5, 14.5, 14.5));
        double cubeVolume = 15.0 * 15 * 15, voxelVolume = 0.6 * 0.8 * 2.5;
        Assert.InRange(ones * voxelVolume, cubeVolume * 0.85, cubeVolume * 1.15);
        Assert.True((sum * (1.0 / ones) - cubeCentre).Length < 1.0, $"centroid {sum * (1.0 / ones)} vs cube centre {cubeCentre}");
        Vec3 nearest = target.RasToIjkPoint(cubeCentre);
        Assert.Equal(1, pasted[target.Index((int)Math.Round(nearest.X), (int)Math.Round(nearest.Y), (int)Math.Round(nearest.Z))]);
    }

    [Fact]
    public void VoxelsOutsideTheCropAreUntouched_InsideOverwrittenWithoutUnion()
    {
        VolumeGeometry target = ObliqueTarget();
        SamCrop crop = CropAround(target, target.IjkToRasPoint(new Vec3(80, 10, 25))); // reaches past the grid
        byte[] cube = CubeMask(4, 12);
        var pasted = Enumerable.Repeat((byte)7, (int)target.VoxelCount).ToArray();
        CropPasteBack.Paste(crop, cube, target, pasted, union: false);

        int inside = 0, outside = 0;
        for (int k = 0; k < target.SizeK; k++)
            for (int j = 0; j < target.SizeJ; j++)
                for (int i = 0; i < target.SizeI; i++)
                {
                    byte? value = NearestCropValue(crop, cube, target, i, j, k);
                    Assert.Equal(value ?? 7, pasted[target.Index(i, j, k)]);
                    if (value is null) outside++; else inside++;
                }
        Assert.True(inside > 1000 && outside > 1000, $"inside {inside}, outside {outside}");
    }

    [Fact]
    public void Roi_ClipsThePastedMask()
    {
        VolumeGeometry target = ObliqueTarget();
        SamCrop crop = CropAround(target, target.IjkToRasPoint(new Vec3(45, 40, 15)));
        byte[] cube = CubeMask(8, 24);
        Vec3 cubeCentre = crop.Geometry.IjkToRasPoint(new Vec3(15.5, 15.5, 15.5));
        // Only the half of the cube with R below its centre.
        var roi = RoiBox.FromCorners(cubeCentre - new Vec3(100, 100, 100), cubeCentre + new Vec3(0, 100, 100));

        var unclipped = new byte[target.VoxelCount];
        CropPasteBack.Paste(crop, cube, target, unclipped);
        var clipped = Enumerable.Repeat((byte)1, (int)target.VoxelCount).ToArray();
        CropPasteBack.Paste(crop, cube, target, clipped, roi);

        int kept = 0, removed = 0;
        for (int k = 0; k < target.SizeK; k++)
            for (int j = 0; j < target.SizeJ; j++)
                for (int i = 0; i < target.SizeI; i++)
                {
                    Vec3 ras = target.IjkToRasPoint(new Vec3(i, j, k));
                    long t = target.Index(i, j, k);
                    bool inCrop = NearestCropValue(crop, cube, target, i, j, k) is not null;
                    byte expected = !inCrop ? (byte)1 : roi.Contains(ras) ? (byte)1 : (byte)0;
                    Assert.Equal(expected, clipped[t]);
                    if (unclipped[t] == 1) { if (roi.Contains(ras)) kept++; else removed++; }
                }
        Assert.True(kept > 100 && removed > 100, $"kept {kept}, removed {removed}");
    }

    [Fact]
    public void Union_KeepsEarlierCrops_OverwriteDoesNot()
    {
        VolumeGeometry target = ObliqueTarget();
        Vec3 centre = target.IjkToRasPoint(new Vec3(45, 40, 15));
        SamCrop first = CropAround(target, centre);
        SamCrop second = CropAround(target, centre + new Vec3(9, 0, 0)); // overlaps the first one's cube
        byte[] firstCube = CubeMask(8, 16), secondCube = CubeMask(20, 28);
        Vec3 firstCubeCentre = first.Geometry.IjkToRasPoint(new Vec3(11.5, 11.5, 11.5));
        Assert.True(second.ContainsCropIndex(second.ToCropIndex(firstCubeCentre)));
        Vec3 c = target.RasToIjkPoint(firstCubeCentre);
        long firstCubeVoxel = target.Index((int)Math.Round(c.X), (int)Math.Round(c.Y), (int)Math.Round(c.Z));
        Vec3 d = target.RasToIjkPoint(second.Geometry.IjkToRasPoint(new Vec3(23.5, 23.5, 23.5)));
        long secondCubeVoxel = target.Index((int)Math.Round(d.X), (int)Math.Round(d.Y), (int)Math.Round(d.Z));

        var union = new byte[target.VoxelCount];
        CropPasteBack.Paste(first, firstCube, target, union);
        CropPasteBack.Paste(second, secondCube, target, union);
        Assert.Equal(1, union[firstCubeVoxel]);
        Assert.Equal(1, union[secondCubeVoxel]);

        var firstAlone = new byte[target.VoxelCount];
        var secondAlone = new byte[target.VoxelCount];
        CropPasteBack.Paste(first, firstCube, target, firstAlone);
        CropPasteBack.Paste(second, secondCube, target, secondAlone);
        for (int t = 0; t < union.Length; t++) Assert.Equal(firstAlone[t] | secondAlone[t], union[t]);

        var overwrite = new byte[target.VoxelCount];
        CropPasteBack.Paste(first, firstCube, target, overwrite);
        CropPasteBack.Paste(second, secondCube, target, overwrite, union: false);
        Assert.Equal(0, overwrite[firstCubeVoxel]);
        Assert.Equal(1, overwrite[secondCubeVoxel]);
    }

    [Fact]
    public void RejectsWrongBufferSizes()
    {
        VolumeGeometry target = ObliqueTarget();
        SamCrop crop = CropAround(target, target.Origin);
        Assert.Throws<ArgumentException>(() => CropPasteBack.Paste(crop, new byte[10], target, new byte[target.VoxelCount]));
        Assert.Throws<ArgumentException>(() => CropPasteBack.Paste(crop, new byte[CropSize * CropSize * CropSize], target, new byte[10]));
    }
}
