using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using SlicerBridge.Inference.IO;
using SlicerBridge.Inference.Volumes;
using static SlicerBridge.Inference.Tests.IO.VolumeIoTestData;

namespace SlicerBridge.Inference.Tests.IO;

/// <summary>Files composed byte by byte in the test, read and compared with the geometry they describe.</summary>
public class HandWrittenVolumeTests
{
    [Fact]
    public void NrrdInLps_IsConvertedToRas()
    {
        string path = TempPath(".nrrd");
        try
        {
            // LPS directions/origin; the RAS equivalent negates x and y.
            string header = "NRRD0004\n# hand written\ntype: short\ndimension: 3\nspace: left-posterior-superior\nsizes: 3 2 2\n" +
                "space directions: (0.5,0,0) (0,0.75,0.1) (0,0,3)\nkinds: domain domain domain\nendian: big\nencoding: raw\n" +
                "space origin: (10,-20,30)\n\n";
            var data = new byte[12 * 2];
            for (int n = 0; n < 12; n++) BinaryPrimitives.WriteInt16BigEndian(data.AsSpan(2 * n), (short)(n * 100 - 500));
            File.WriteAllBytes(path, [.. Encoding.ASCII.GetBytes(header), .. data]);
            Volume v = VolumeFile.Read(path);
            var expected = new VolumeGeometry(3, 2, 2, new Vec3(-0.5, 0, 0), new Vec3(0, -0.75, 0.1), new Vec3(0, 0, 3), new Vec3(-10, 20, 30));
            AssertSameCorners(expected, v.Geometry, 1e-9);
            Assert.Equal(VoxelType.Int16, v.SourceType);
            Assert.Equal(Enumerable.Range(0, 12).Select(n => (float)(n * 100 - 500)), v.Voxels);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void DetachedGzipNrrdInRas_IsRead()
    {
        string header = TempPath(".nhdr");
        string data = Path.ChangeExtension(header, ".raw.gz");
        try
        {
            File.WriteAllText(header, "NRRD0005\ntype: float\ndimension: 3\nspace: RAS\nsizes: 2 2 2\n" +
                "space directions: (2,0,0) (0,2,0) (0,0,2)\nendian: little\nencoding: gzip\nspace origin: (1,2,3)\n" +
                $"data file: {Path.GetFileName(data)}\n");
            using (var file = File.Create(data))
            using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
                for (int n = 0; n < 8; n++) { var b = new byte[4]; BinaryPrimitives.WriteSingleLittleEndian(b, n + 0.5f); gzip.Write(b); }
            Volume v = VolumeFile.Read(header);
            AssertSameCorners(VolumeGeometry.AxisAligned(2, 2, 2, new Vec3(2, 2, 2), new Vec3(1, 2, 3)), v.Geometry, 1e-9);
            Assert.Equal(Enumerable.Range(0, 8).Select(n => n + 0.5f), v.Voxels);
        }
        finally { File.Delete(header); File.Delete(data); }
    }

    [Fact]
    public void NrrdWithoutSpace_UsesSpacings_AndByteSkip()
    {
        string path = TempPath(".nrrd");
        try
        {
            string header = "NRRD0004\ntype: uint16\ndimension: 3\nsizes: 2 1 2\nspacings: 0.5 2 -3\nendian: little\nencoding: raw\nbyte skip: 2\n\n";
            byte[] data = [0xAA, 0xBB, 1, 0, 2, 0, 3, 0, 0, 1];
            File.WriteAllBytes(path, [.. Encoding.ASCII.GetBytes(header), .. data]);
            Volume v = VolumeFile.Read(path);
            AssertSameCorners(VolumeGeometry.AxisAligned(2, 1, 2, new Vec3(0.5, 2, 3), new Vec3(0, 0, 0)), v.Geometry, 1e-12);
            Assert.Equal([1f, 2f, 3f, 256f], v.Voxels);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void NiftiQformOnly_UsesTheQuaternion_AndAppliesScaling()
    {
        // 90° about S: a = cos 45°, d = sin 45°; the I axis points to A, the J axis to L.
        double half = Math.Sqrt(0.5);
        byte[] file = NiftiBytes(dims: [3, 2, 3, 2], datatype: 512, bitpix: 16, pixdim: [1, 2, 3, 4],
            qformCode: 1, sformCode: 0, quaternion: [0, 0, (float)half], offset: [5, 6, 7], slope: 2, intercept: -1,
            data: Enumerable.Range(0, 12).SelectMany(n => BitConverter.GetBytes((ushort)(n * 10))).ToArray());
        string path = TempPath(".nii");
        try
        {
            File.WriteAllBytes(path, file);
            Volume v = VolumeFile.Read(path);
            var expected = new VolumeGeometry(2, 3, 2, new Vec3(0, 2, 0), new Vec3(-3, 0, 0), new Vec3(0, 0, 4), new Vec3(5, 6, 7));
            AssertSameCorners(expected, v.Geometry, 1e-5);
            Assert.Equal(VoxelType.UInt16, v.SourceType);
            Assert.Equal(Enumerable.Range(0, 12).Select(n => n * 10 * 2f - 1), v.Voxels);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void NiftiWithoutTransforms_FallsBackToPixdim()
    {
        byte[] file = NiftiBytes(dims: [3, 2, 2, 2], datatype: 256, bitpix: 8, pixdim: [1, 0.5f, 0.5f, 1.5f],
            qformCode: 0, sformCode: 0, quaternion: [0, 0, 0], offset: [9, 9, 9], slope: 0, intercept: 0,
            data: Enumerable.Range(0, 8).Select(n => (byte)(sbyte)(n - 4)).ToArray());
        string path = TempPath(".nii.gz");
        try
        {
            using (var stream = File.Create(path))
            using (var gzip = new GZipStream(stream, CompressionLevel.Fastest)) gzip.Write(file);
            Volume v = VolumeFile.Read(path);
            AssertSameCorners(VolumeGeometry.AxisAligned(2, 2, 2, new Vec3(0.5, 0.5, 1.5), new Vec3(0, 0, 0)), v.Geometry, 1e-9);
            Assert.Equal(Enumerable.Range(0, 8).Select(n => (float)(n - 4)), v.Voxels);
        }
        finally { File.Delete(path); }
    }

    /// <summary>A little-endian single-file NIfTI-1 image with the given header fields.</summary>
    internal static byte[] NiftiBytes(short[] dims, short datatype, short bitpix, float[] pixdim, short qformCode, short sformCode,
        float[] quaternion, float[] offset, float slope, float intercept, byte[] data, float[]? srow = null)
    {
        var file = new byte[352 + data.Length];
        Span<byte> h = file;
        BinaryPrimitives.WriteInt32LittleEndian(h, 348);
        for (int d = 0; d < 8; d++) BinaryPrimitives.WriteInt16LittleEndian(h[(40 + 2 * d)..], d < dims.Length ? dims[d] : (short)1);
        BinaryPrimitives.WriteInt16LittleEndian(h[70..], datatype);
        BinaryPrimitives.WriteInt16LittleEndian(h[72..], bitpix);
        for (int d = 0; d < pixdim.Length; d++) BinaryPrimitives.WriteSingleLittleEndian(h[(76 + 4 * d)..], pixdim[d]);
        BinaryPrimitives.WriteSingleLittleEndian(h[108..], 352);
        BinaryPrimitives.WriteSingleLittleEndian(h[112..], slope);
        BinaryPrimitives.WriteSingleLittleEndian(h[116..], intercept);
        BinaryPrimitives.WriteInt16LittleEndian(h[252..], qformCode);
        BinaryPrimitives.WriteInt16LittleEndian(h[254..], sformCode);
        for (int n = 0; n < 3; n++) BinaryPrimitives.WriteSingleLittleEndian(h[(256 + 4 * n)..], quaternion[n]);
        for (int n = 0; n < 3; n++) BinaryPrimitives.WriteSingleLittleEndian(h[(268 + 4 * n)..], offset[n]);
        if (srow is not null) for (int n = 0; n < 12; n++) BinaryPrimitives.WriteSingleLittleEndian(h[(280 + 4 * n)..], srow[n]);
        "n+1\0"u8.CopyTo(h[344..]);
        data.CopyTo(h[352..]);
        return file;
    }
}
