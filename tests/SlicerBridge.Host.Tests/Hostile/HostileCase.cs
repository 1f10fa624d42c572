namespace SlicerBridge.Host.Tests.Hostile;

/// <summary>
/// One hostile input: <see cref="Build"/> writes its files into a folder and returns the corpus runner's arguments
/// (<c>cli ...</c> for a slicerbridge command, or <c>read-checkpoint|read-volume|read-npy PATH</c> for a reader alone).
/// The run must end as <see cref="Expect"/> says (a one-line error containing it, or success when
/// <see cref="ExpectSuccess"/>) within the peak-RSS and time budgets; the output must not contain <see cref="Forbidden"/>
/// (e.g. the size of a file the case points at, which an error must not give away).
/// </summary>
internal sealed record HostileCase(
    string Family,
    string Name,
    Func<string, string[]> Build,
    string Expect,
    int RssBudgetMb = 128,
    double SecondsBudget = 20,
    bool ExpectSuccess = false,
    Func<string>? Forbidden = null)
{
    public string Id => $"{Family}/{Name}";
    public override string ToString() => Id;
}
