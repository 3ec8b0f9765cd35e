//go:build peers

package peers
import ("testing";"context";"os/exec";"os")
func TestTmpPG(t *testing.T){
  pg, err := StartPostgres(context.Background(), ""); if err != nil { t.Fatal(err) }
  defer pg.Stop()
  out, err := exec.Command(pg.Psql, "-X", "-h", pg.dir, "-p", itoa(pg.port), "-U", "postgres", "-f", "/tmp/pgvariants.sql").CombinedOutput()
  os.WriteFile("/tmp/pgvariants.out", out, 0o644)
  if err != nil { t.Fatal(err) }
}
func itoa(i int) string { return fmtInt(i) }
func fmtInt(i int) string { b := []byte{}; for i > 0 { b = append([]byte{byte('0'+i%10)}, b...); i /= 10 }; return string(b) }
