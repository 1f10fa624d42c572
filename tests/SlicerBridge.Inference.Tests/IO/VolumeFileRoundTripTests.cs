using SlicerBridge.Inference.IO;
using SlicerBridge.Inference.Volumes;
using static SlicerBridge.Inference.Tests.IO.VolumeIoTestData;

namespace SlicerBridge.Inference.Tests.IO;

public class VolumeFileRoundTripTests
{
    [Theory]
    [InlineData(".nii")]
    [InlineData(".nii.gz")]
    [InlineData(".nrrd")]
    [InlineData(".nhdr")]
    public void Mask_RoundTrips_WithObliqueAnisotropicGeometry(string extension)
    {
        var geometry = Oblique();
        byte[] mask = Pattern(geometry.VoxelCount);
        string path = TempPath(extension);
        try
        {
            VolumeFile.WriteMask(path, mask, geometry);
            Volume read = VolumeFile.Read(path);
            AssertSameCorners(geometry, read.Geometry);
            Assert.Equal(VoxelType.UInt8, read.SourceType);
            Assert.Equal(mask.Select(v => (float)v), read.Voxels);
        }
        finally { DeleteWithData(path); }
    }

    [Theory]
    [InlineData(".nii.gz")]
    [InlineData(".nrrd")]
    public void Float32Volume_RoundTrips(string extension)
    {
        var geometry = Oblique(6, 6, 3);
        var voxels = Enumerable.Range(0, (int)geometry.VoxelCount).Select(n => n * 0.25f - 11.5f).ToArray();
        string path = TempPath(extension);
        try
        {
            VolumeFile.WriteFloat32(path, new Volume(geometry, voxels));
            Volume read = VolumeFile.Read(path);
            AssertSameCorners(geometry, read.Geometry);
            Assert.Equal(voxels, read.Voxels);
        }
        finally { DeleteWithData(path); }
    }

    [Fact]
    public void LeftHandedGrid_RoundTripsThroughNiftiQform()
    {
        // Rotated 90° about S with a flipped K axis: qfac = -1 in the written qform, and the sform is exact.
        // (Rotations near 180° make the qform's derived 'a' lose precision in float32, a NIfTI limitation the sform avoids.)
        var g = new VolumeGeometry(4, 3, 2, new Vec3(0, 1.5, 0), new Vec3(-1.5, 0, 0), new Vec3(0, 0, -2), new Vec3(1, 2, 3));
        string path = TempPath(".nii");
        try
        {
            VolumeFile.WriteMask(path, Pattern(g.VoxelCount), g);
            AssertSameCorners(g, VolumeFile.Read(path).Geometry);
            // Drop the sform: the qform alone must give the same grid.
            byte[] bytes = File.ReadAllBytes(path);
            bytes[254] = 0; bytes[255] = 0;
            File.WriteAllBytes(path, bytes);
            AssertSameCorners(g, VolumeFile.Read(path).Geometry);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void NiftiWrittenQform_MatchesTheSform_ForTheObliqueGrid()
    {
        var g = Oblique();
        string path = TempPath(".nii");
        try
        {
            VolumeFile.WriteMask(path, Pattern(g.VoxelCount), g);
            byte[] bytes = File.ReadAllBytes(path);
            bytes[254] = 0; bytes[255] = 0; // sform_code = 0 → reader uses the qform
            File.WriteAllBytes(path, bytes);
            AssertSameCorners(g, VolumeFile.Read(path).Geometry);
        }
        finally { File.Delete(path); }
    }

    private static void DeleteWithData(string path)
    {
        File.Delete(path);
        if (path.EndsWith(".nhdr")) File.Delete(Path.ChangeExtension(path, ".raw.gz"));
    }
}
