// test/drivers/JdbcProbe.java: what a BI tool sees through JDBC (pgJDBC).
//
//   java -cp /usr/share/java/postgresql.jar JdbcProbe.java URL ROLE
//
// Connects as ROLE (a login member of bankcrm_analyst whose search_path
// includes bankcrm, as doc/types.md tells a DBA to set), reads the column
// metadata of party_masked (types and remarks), compares credit_rating and
// phone with bound setString parameters, and checks that a view the analyst
// may not read is refused with 42501.  Prints TAP; exits 1 on a failure.
import java.sql.*;
import java.util.*;

public class JdbcProbe {
	static int n = 0, failed = 0;

	static void check(boolean ok, String what, String extra) {
		n++;
		if (!ok) failed++;
		System.out.println((ok ? "ok " : "not ok ") + n + " - " + what + (ok || extra == null ? "" : " # " + extra));
	}

	public static void main(String[] args) throws Exception {
		Properties p = new Properties();
		p.setProperty("user", args[1]);
		try (Connection c = DriverManager.getConnection(args[0], p)) {
			DatabaseMetaData md = c.getMetaData();
			Map<String, Integer> type = new HashMap<>();
			List<String> noRemarks = new ArrayList<>();
			try (ResultSet rs = md.getColumns(null, "bankcrm", "party_masked", "%")) {
				while (rs.next()) {
					type.put(rs.getString("COLUMN_NAME"), rs.getInt("DATA_TYPE"));
					String r = rs.getString("REMARKS");
					if (r == null || r.isEmpty()) noRemarks.add(rs.getString("COLUMN_NAME"));
				}
			}
			check(type.get("credit_rating_text") == Types.VARCHAR, "getColumns: credit_rating_text is VARCHAR", "" + type);
			check(type.get("credit_rating_rank") == Types.INTEGER, "getColumns: credit_rating_rank is INTEGER", "" + type);
			check(type.size() >= 25 && noRemarks.isEmpty(), "getColumns: every column of party_masked has REMARKS", "" + noRemarks);

			long literal;
			try (Statement s = c.createStatement();
			     ResultSet rs = s.executeQuery("SELECT count(*) FROM party_masked WHERE credit_rating >= 'BBB-'")) {
				rs.next();
				literal = rs.getLong(1);
			}
			try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM party_masked WHERE credit_rating >= ?")) {
				ps.setString(1, "BBB-");
				try (ResultSet rs = ps.executeQuery()) {
					rs.next();
					check(literal > 0 && rs.getLong(1) == literal, "credit_rating >= ? with setString",
					      rs.getLong(1) + " vs " + literal);
				}
			}
			try (PreparedStatement ps = c.prepareStatement(
					"SELECT credit_rating_text, credit_rating_rank FROM party_masked WHERE credit_rating IS NOT NULL ORDER BY credit_rating_rank, party_id LIMIT 1")) {
				try (ResultSet rs = ps.executeQuery()) {
					rs.next();
					ResultSetMetaData rm = rs.getMetaData();
					check(rm.getColumnType(1) == Types.VARCHAR && rm.getColumnType(2) == Types.INTEGER
					      && "AAA".equals(rs.getString(1)) && rs.getInt(2) == 1,
					      "the companions read as String and int, best grade first", rs.getString(1) + " " + rs.getInt(2));
				}
			}
			try (PreparedStatement ps = c.prepareStatement("SELECT phone_parse('13522956919') = ?")) {
				ps.setString(1, "+86 135 2295 6919");
				try (ResultSet rs = ps.executeQuery()) {
					rs.next();
					check(rs.getBoolean(1), "phone = ? with setString", null);
				}
			}
			try (Statement s = c.createStatement()) {
				s.executeQuery("SELECT count(*) FROM party_360");
				check(false, "party_360 is refused to the analyst", "it was read");
			} catch (SQLException e) {
				check("42501".equals(e.getSQLState()), "party_360 is refused to the analyst with 42501", e.getSQLState());
			}
		}
		System.out.println("1.." + n);
		System.exit(failed > 0 ? 1 : 0);
	}
}
