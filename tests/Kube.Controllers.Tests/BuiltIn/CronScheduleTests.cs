using Kube.Controllers.BuiltIn.CronJob;
using Kube.Controllers.BuiltIn.Job;

namespace Kube.Controllers.Tests.BuiltIn;

[TestClass]
public sealed class CronScheduleTests
{
    private static DateTimeOffset T(string s) => DateTimeOffset.Parse(s, System.Globalization.CultureInfo.InvariantCulture);

    private static CronSchedule Parse(string s)
    {
        Assert.IsTrue(CronSchedule.TryParse(s, out var schedule, out var error), error);
        return schedule!;
    }

    [TestMethod]
    [DataRow("*/5 * * * *", "2026-11-22T10:03:00Z", "2026-11-22T10:05:00Z")]
    [DataRow("@hourly", "2026-11-22T10:03:00Z", "2026-11-22T11:00:00Z")]
    [DataRow("@daily", "2026-11-22T10:03:00Z", "2026-11-23T00:00:00Z")]
    [DataRow("@weekly", "2026-11-22T10:03:00Z", "2026-11-29T00:00:00Z")]
    [DataRow("@monthly", "2026-11-22T10:03:00Z", "2026-12-01T00:00:00Z")]
    [DataRow("@yearly", "2026-11-22T10:03:00Z", "2027-01-01T00:00:00Z")]
    [DataRow("30 9 * * MON-FRI", "2026-11-21T12:00:00Z", "2026-11-23T09:30:00Z")]
    [DataRow("0 0 13 * FRI", "2026-11-22T10:00:00Z", "2026-11-27T00:00:00Z")]
    [DataRow("0 0 1 JAN ?", "2026-11-22T10:00:00Z", "2027-01-01T00:00:00Z")]
    public void Next_FollowsTheStandardSyntax_AndMacros(string schedule, string from, string expected) =>
        Assert.AreEqual(T(expected), Parse(schedule).Next(T(from), TimeZoneInfo.Utc));

    [TestMethod]
    public void DayOfMonthAndDayOfWeek_BothRestricted_MatchEither()
    {
        // 2026-11-22 is a Sunday: "0 0 1 * MON" runs on Monday the 23rd (weekday) and on December 1st (day of month).
        var s = Parse("0 0 1 * MON");
        Assert.AreEqual(T("2026-11-23T00:00:00Z"), s.Next(T("2026-11-22T10:00:00Z"), TimeZoneInfo.Utc));
        Assert.AreEqual(T("2026-12-01T00:00:00Z"), s.Next(T("2026-11-30T10:00:00Z"), TimeZoneInfo.Utc));
    }

    [TestMethod]
    public void Next_HonoursTheTimeZone()
    {
        var tokyo = TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo");
        Assert.AreEqual(T("2026-11-23T00:00:00Z"), Parse("0 9 * * *").Next(T("2026-11-22T10:00:00Z"), tokyo));
        var ny = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        Assert.AreEqual(T("2026-11-22T14:00:00Z"), Parse("0 9 * * *").Next(T("2026-11-22T10:00:00Z"), ny));
    }

    [TestMethod]
    [DataRow("")]
    [DataRow("* * * *")]
    [DataRow("61 * * * *")]
    [DataRow("* * * * * *")]
    [DataRow("@reboot")]
    public void TryParse_RefusesInvalidSchedules(string schedule) =>
        Assert.IsFalse(CronSchedule.TryParse(schedule, out _, out var error) && error.Length == 0);

    [TestMethod]
    public void Plan_FindsTheMostRecentMissedTime_AndCountsMisses()
    {
        var s = Parse("* * * * *");
        var (recent, missed, next) = s.Plan(T("2026-11-22T10:00:30Z"), T("2026-11-22T10:03:10Z"), TimeZoneInfo.Utc);
        Assert.AreEqual(T("2026-11-22T10:03:00Z"), recent);
        Assert.AreEqual(3, missed);
        Assert.AreEqual(T("2026-11-22T10:04:00Z"), next);

        (recent, missed, _) = s.Plan(T("2026-11-22T10:03:00Z"), T("2026-11-22T10:03:50Z"), TimeZoneInfo.Utc);
        Assert.IsNull(recent, "the time already scheduled is not due again");
        Assert.AreEqual(0, missed);

        (recent, missed, _) = s.Plan(T("2026-11-20T00:00:00Z"), T("2026-11-22T10:03:10Z"), TimeZoneInfo.Utc);
        Assert.AreEqual(T("2026-11-22T10:03:00Z"), recent, "with more than 100 misses the latest still runs");
        Assert.IsTrue(missed > 100);
    }

    [TestMethod]
    public void JobName_IsTheScheduledTimeInMinutes() =>
        Assert.AreEqual("hello-29403000", CronJobReconciler.JobName("hello", T("2025-11-26T18:00:00Z")));

    [TestMethod]
    [DataRow("1,3-5,7", new[] { 1, 3, 4, 5, 7 })]
    [DataRow("0,1", new[] { 0, 1 })]
    [DataRow("0-2", new[] { 0, 1, 2 })]
    public void CompletedIndexes_RoundTrip(string text, int[] indexes)
    {
        Assert.AreEqual(text, CompletedIndexes.Format(indexes));
        CollectionAssert.AreEqual(indexes, CompletedIndexes.Parse(text).ToArray());
    }
}
