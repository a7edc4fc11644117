using Kube.ApiServer.Security;
using Microsoft.Extensions.Time.Testing;

namespace Kube.ApiServer.Tests.Security;

/// <summary>The audit log file rotates as upstream's (--audit-log-maxsize, --audit-log-maxbackup, --audit-log-maxage).</summary>
[TestClass]
public sealed class AuditLogRotationTests
{
    private static string NewDir() => Directory.CreateTempSubdirectory("kube-audit-rotation-").FullName;

    [TestMethod]
    public void File_RotatesBeforeExceedingMaxSize_AndKeepsMaxBackupNewest()
    {
        var dir = NewDir();
        try
        {
            var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 3, 0, 0, TimeSpan.Zero));
            var path = Path.Combine(dir, "audit.log");
            using (var file = new AuditLogFile(path, 0, maxBackups: 2, maxAgeDays: 0, time, maxBytesForTests: 100))
            {
                for (var i = 0; i < 10; i++)
                {
                    file.WriteLine($"{{\"line\":{i},\"pad\":\"{new string('x', 30)}\"}}"); // 50 bytes with its newline: two lines a file, so lines 2, 4, 6 and 8 rotate
                    time.Advance(TimeSpan.FromSeconds(1));
                }
            }
            var backups = Directory.GetFiles(dir, "audit-*.log").Order(StringComparer.Ordinal).ToArray();
            CollectionAssert.AreEqual(new[] { "audit-2026-11-23T03-00-06.000.log", "audit-2026-11-23T03-00-08.000.log" }, backups.Select(Path.GetFileName).ToArray());
            Assert.AreEqual(2, File.ReadAllLines(backups[1]).Length);
            StringAssert.StartsWith(File.ReadAllLines(backups[1])[0], "{\"line\":6,");
            var current = File.ReadAllLines(path);
            CollectionAssert.AreEqual(new[] { 8, 9 }, current.Select(l => int.Parse(l.Split(',')[0].Split(':')[1], System.Globalization.CultureInfo.InvariantCulture)).ToArray());
            if (!OperatingSystem.IsWindows()) Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(backups[0]));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [TestMethod]
    public void File_DeletesBackupsOlderThanMaxAge()
    {
        var dir = NewDir();
        try
        {
            var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
            var path = Path.Combine(dir, "audit.log");
            using (var file = new AuditLogFile(path, 0, maxBackups: 0, maxAgeDays: 2, time, maxBytesForTests: 10))
            {
                for (var i = 0; i < 5; i++)
                {
                    file.WriteLine($"line-{i}-0123456789");
                    time.Advance(TimeSpan.FromDays(1));
                }
            }
            // every write after the first rotates (Nov 2..5); at the Nov 5 rotation the Nov 2 backup is older than 2 days
            var backups = Directory.GetFiles(dir, "audit-*.log").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
            CollectionAssert.AreEqual(new[] { "audit-2026-11-03T00-00-00.000.log", "audit-2026-11-04T00-00-00.000.log", "audit-2026-11-05T00-00-00.000.log" }, backups);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
