using SlicerBridge.Inference.IO;
using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Models.SamMed3D;
using SlicerBridge.Inference.Volumes;
using Xunit;

namespace SlicerBridge.Inference.Tests.SamMed3D;

/// <summary>
/// One scan, four storages (RAS NIfTI; NIfTI with x and z reversed; NIfTI with permuted axes; LPS NRRD as Slicer writes
/// DICOM-derived volumes): SAM-Med3D (the tiny fixture network) must give the same mask voxel for voxel, because crop
/// placement, extension tiles and paste-back are decided in physical space.
/// </summary>
public sealed class StorageOrderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sb-storage-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>
    /// The fixture's real MRI crop as a 128³ scan of 1 × 1.25 × 2 mm voxels: 1 mm puts target voxels exactly halfway
    /// between 1.5 mm crop voxels, and 256 mm along S is two crops, so the mask can grow into an extension tile.
    /// </summary>
    private static Volume Scan()
    {
        var crop = NpyFile.Read(TestPaths.Fixture("sam-med3d-tiny", "input_crop.npy")).ToFloat32();
        var g = VolumeGeometry.AxisAligned(128, 128, 128, new Vec3(1.0, 1.25, 2.0), new Vec3(-63.7, -80.3, -121.9));
        var voxels = new float[g.VoxelCount];
        for (int v = 0; v < voxels.Length; v++) voxels[v] = MathF.Round(crop[v] * 200 + 400); // int16-like intensities
        return new Volume(g, voxels, "scan");
    }

    /// <summary>The same voxels on another storage of the same physical grid.</summary>
    private static Volume Restored(Volume source, VolumeGeometry storage)
    {
        var voxels = new float[storage.VoxelCount];
        for (int k = 0; k < storage.SizeK; k++)
            for (int j = 0; j < storage.SizeJ; j++)
                for (int i = 0; i < storage.SizeI; i++)
                    voxels[storage.Index(i, j, k)] = source.Voxels[SourceIndex(source.Geometry, storage, i, j, k)];
        return new Volume(storage, voxels, source.Name);
    }

    private static int SourceIndex(VolumeGeometry source, VolumeGeometry storage, int i, int j, int k)
    {
        var p = source.RasToIjkPoint(storage.IjkToRasPoint(new Vec3(i, j, k)));
        return (int)source.Index((int)Math.Round(p.X), (int)Math.Round(p.Y), (int)Math.Round(p.Z));
    }

    /// <summary>A mask on <paramref name="storage"/> brought to the voxel order of <paramref name="reference"/>.</summary>
    private static byte[] InReferenceOrder(byte[] mask, VolumeGeometry storage, VolumeGeometry reference)
    {
        var result = new byte[reference.VoxelCount];
        for (int k = 0; k < reference.SizeK; k++)
            for (int j = 0; j < reference.SizeJ; j++)
                for (int i = 0; i < reference.SizeI; i++)
                    result[reference.Index(i, j, k)] = mask[SourceIndex(storage, reference, i, j, k)];
        return result;
    }

    private static byte[] SegmentTwice(ISegmentationModel model, Volume volume)
    {
        // Two clicks, the second cumulative (previous low-res logits as the mask prompt).
        PromptPoint[] first = [new(new Vec3(-2.5, 3.1, 8.4), true)];
        var r1 = model.Segment(new SegmentationRequest { Volume = volume, Points = first }, CancellationToken.None);
        PromptPoint[] second = [.. first, new(new Vec3(12.2, -10.6, 30.3), false)];
        return model.Segment(new SegmentationRequest { Volume = volume, Points = second, Previous = r1.State }, CancellationToken.None).Mask;
    }

    [Fact]
    public void Four_storages_of_one_scan_give_the_same_mask()
    {
        var scan = Scan();
        var ras = scan.Geometry;
        string Path(string name) => System.IO.Path.Combine(_dir, name);

        VolumeFile.WriteFloat32(Path("ras.nii.gz"), scan);
        VolumeFile.WriteFloat32(Path("flipped.nii.gz"), Restored(scan, CanonicalGridTests.Flipped(CanonicalGridTests.Flipped(ras, 0), 2)));
        VolumeFile.WriteFloat32(Path("permuted.nii.gz"), Restored(scan, CanonicalGridTests.Permuted(ras, [2, 0, 1])));
        VolumeFile.WriteFloat32(Path("lps.nrrd"), Restored(scan, CanonicalGridTests.Flipped(CanonicalGridTests.Flipped(ras, 0), 1)));

        var fixture = TestPaths.Fixture("sam-med3d-tiny", "checkpoint.pth");
        using var model = new SamMed3DModelFactory().Create(new ModelSpec("sam", "sam-med3d", fixture,
            TestPaths.Fixture("sam-med3d-tiny", "fixture.json")));

        byte[]? reference = null;
        foreach (var file in new[] { "ras.nii.gz", "flipped.nii.gz", "permuted.nii.gz", "lps.nrrd" })
        {
            var volume = VolumeFile.Read(Path(file));
            var mask = InReferenceOrder(SegmentTwice(model, volume), volume.Geometry, ras);
            if (reference is null)
            {
                reference = mask;
                long voxels = mask.Sum(b => (long)b);
                Assert.InRange(voxels, 1, mask.Length - 1); // a real mask, not an empty or full one
                continue;
            }
            int differing = 0;
            for (int v = 0; v < mask.Length; v++) if (mask[v] != reference[v]) differing++;
            Assert.True(differing == 0, $"{file}: {differing} of {mask.Length} voxels differ from the RAS-stored scan's mask");
        }
    }
}
