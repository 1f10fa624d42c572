using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Inference.Tests.Volumes;

public class VolumeContentKeyTests
{
    /// <summary>
    /// 2^29 voxels (the readers' default limit, 2 GiB of float32): hashing used to take the voxels' bytes as one span,
    /// whose int length overflows from 2^29 floats on. The key must cover the last voxel too. The untouched zero pages
    /// of the buffer cost no resident memory.
    /// </summary>
    [Fact]
    public void ContentKey_HashesVolumesAtTheVoxelLimit_ToTheLastVoxel()
    {
        var g = VolumeGeometry.AxisAligned(1024, 1024, 512, new Vec3(1, 1, 1), new Vec3(0, 0, 0));
        var voxels = new float[g.VoxelCount];
        string before = new Volume(g, voxels).ContentKey;
        voxels[^1] = 1;
        string after = new Volume(g, voxels).ContentKey;
        Assert.Equal(64, before.Length);
        Assert.NotEqual(before, after);
    }
}
