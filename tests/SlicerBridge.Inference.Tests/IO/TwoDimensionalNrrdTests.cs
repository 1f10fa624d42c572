using System.Buffers.Binary;
using System.Text;
using SlicerBridge.Inference.IO;
using SlicerBridge.Inference.Volumes;
using static SlicerBridge.Inference.Tests.IO.VolumeIoTestData;

namespace SlicerBridge.Inference.Tests.IO;

/// <summary>
/// A 2-D NRRD (<c>dimension: 2</c>) is a one-slice volume: K = 1, the third axis the unit normal of the image plane
/// (column I × column J), as a 2-D NIfTI's quaternion gives it.
/// </summary>
public sealed class TwoDimensionalNrrdTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sb-nrrd2d-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // An oblique plane in LPS: I along L at 0.5 mm, J tilted from P towards S at 0.75 mm.
    private const string ObliqueHeader = "NRRD0004\n# a 2-D image written by hand\ntype: short\ndimension: 2\n" +
        "space: left-posterior-superior\nsizes: 3 2\nspace directions: (0.5,0,0) (0,0.45,0.6)\nkinds: domain domain\n" +
        "endian: big\nencoding: raw\nspace origin: (10,-20,30)\n\n";

    // The same in RAS: I = (-0.5,0,0), J = (0,-0.45,0.6); I × J = (0,0.3,0.225), of length 0.375.
    private static readonly VolumeGeometry ObliqueRas = new(3, 2, 1,
        new Vec3(-0.5, 0, 0), new Vec3(0, -0.45, 0.6), new Vec3(0, 0.8, 0.6), new Vec3(-10, 20, 30));

    private static readonly float[] ObliqueVoxels = [.. Enumerable.Range(0, 6).Select(n => (float)(n * 100 - 250))];

    private string WriteOblique()
    {
        string path = Path.Combine(_dir, "slice.nrrd");
        var data = new byte[6 * 2];
        for (int n = 0; n < 6; n++) BinaryPrimitives.WriteInt16BigEndian(data.AsSpan(2 * n), (short)ObliqueVoxels[n]);
        File.WriteAllBytes(path, [.. Encoding.ASCII.GetBytes(ObliqueHeader), .. data]);
        return path;
    }

    [Fact]
    public void AnObliqueSlice_IsOneSliceWithAUnitNormal()
    {
        Volume v = VolumeFile.Read(WriteOblique());
        AssertSameCorners(ObliqueRas, v.Geometry, 1e-9);
        Assert.Equal(1.0, v.Geometry.ColumnK.Length, 12);
        Assert.Equal(0.0, v.Geometry.ColumnK.Dot(v.Geometry.ColumnI), 12);
        Assert.Equal(0.0, v.Geometry.ColumnK.Dot(v.Geometry.ColumnJ), 12);
        Assert.True(v.Geometry.ColumnI.Cross(v.Geometry.ColumnJ).Dot(v.Geometry.ColumnK) > 0, "right-handed");
        Assert.Equal(VoxelType.Int16, v.SourceType);
        Assert.Equal(ObliqueVoxels, v.Voxels);
    }

    [Fact]
    public void WithoutASpace_TwoSpacingsAndAUnitThirdAxis()
    {
        string path = Path.Combine(_dir, "plain.nrrd");
        File.WriteAllBytes(path, [.. Encoding.ASCII.GetBytes("NRRD0004\ntype: uchar\ndimension: 2\nsizes: 2 3\nspacings: 0.25 -4\nencoding: raw\n\n"), 1, 2, 3, 4, 5, 6]);
        Volume v = VolumeFile.Read(path);
        AssertSameCorners(VolumeGeometry.AxisAligned(2, 3, 1, new Vec3(0.25, 4, 1), new Vec3(0, 0, 0)), v.Geometry, 1e-12);
        Assert.Equal([1f, 2, 3, 4, 5, 6], v.Voxels);
    }

    [Theory]
    [InlineData("slice-again.nrrd")]
    [InlineData("slice-again.nhdr")]
    public void RoundTripsThroughTheWriter_AsAOneSliceVolume(string file)
    {
        Volume read = VolumeFile.Read(WriteOblique());
        string path = Path.Combine(_dir, file);
        NrrdWriter.WriteFloat32(path, read);
        Volume again = VolumeFile.Read(path);
        AssertSameCorners(ObliqueRas, again.Geometry, 1e-9);
        Assert.Equal(ObliqueVoxels, again.Voxels);
    }

    [Theory]
    [InlineData("dimension: 2\nsizes: 2 2 1\nspace: RAS\nspace directions: (1,0,0) (0,1,0)\n", "dimension 2 (sizes '2 2 1')")]
    [InlineData("dimension: 2\nsizes: 2 2\nspace: RAS\nspace directions: (1,0,0) (0,1,0) (0,0,1)\n", "must give 2 vectors")]
    [InlineData("dimension: 2\nsizes: 2 2\nspace: RAS\nspace directions: (1,0,0) (2,0,0)\n", "do not span a plane")]
    [InlineData("dimension: 2\nsizes: 2 2\nspace: RAS\nspace directions: (1e300,0,0) (0,1e300,0)\n", "do not span a plane")]
    [InlineData("dimension: 2\nsizes: 2 2\nspacings: 1 1 1\n", "must have 2 values")]
    [InlineData("dimension: 1\nsizes: 4\n", "only 2-D images and 3-D scalar volumes")]
    public void MalformedTwoDimensionalHeaders_AreOneLineErrors(string fields, string reason)
    {
        string path = Path.Combine(_dir, "bad.nrrd");
        File.WriteAllBytes(path, [.. Encoding.ASCII.GetBytes("NRRD0004\ntype: uchar\n" + fields + "encoding: raw\n\n"), .. new byte[8]]);
        string message = Assert.Throws<VolumeFormatException>(() => VolumeFile.Read(path)).Message;
        Assert.Contains(reason, message);
        Assert.DoesNotContain('\n', message);
    }
}
