/**
 * The Archive screen's check of what it holds (`archive.verify`, as `pra-ic archive verify`): every
 * file recorded as archived is read back and its size and SHA-256 compared with what was recorded
 * when it was written. An auditor's proof that nothing in the folder was lost or changed since.
 */
import { Button, Caption1, MessageBar, MessageBarBody, MessageBarTitle, Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow, makeStyles, tokens } from '@fluentui/react-components';
import { ShieldTask20Regular } from '@fluentui/react-icons';
import { useState } from 'react';
import type { ArchiveVerifyResult } from '../../shared/archive.ts';
import { useApi } from '../api/context.tsx';
import { errorMessage } from '../api/errors.ts';
import { formatCount } from '../components/format.ts';
import { Section, TableScroll } from '../components/layout.tsx';

const useStyles = makeStyles({
  mono: { fontFamily: tokens.fontFamilyMonospace, fontSize: tokens.fontSizeBase200, overflowWrap: 'anywhere' },
  muted: { color: tokens.colorNeutralForeground3 },
});

/** Problems listed at most; the count says how many there are in all. */
const SHOWN = 50;

const PROBLEM = { missing: 'Missing', size: 'Size differs', sha256: 'Content differs (SHA-256)' } as const;

export function ArchiveVerify() {
  const styles = useStyles();
  const api = useApi();
  const [running, setRunning] = useState(false);
  const [result, setResult] = useState<ArchiveVerifyResult | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function verify() {
    setRunning(true);
    setError(null);
    try {
      setResult(await api.invoke('archive.verify', {}));
    } catch (e) {
      setResult(null);
      setError(errorMessage(e));
    } finally {
      setRunning(false);
    }
  }

  return (
    <Section
      title="Check the archive"
      description="Reads every archived file back and compares its size and SHA-256 with those recorded when it was written. Large archives take a while."
      testId="archive-verify"
      actions={
        <Button icon={<ShieldTask20Regular />} onClick={() => void verify()} disabled={running} data-testid="archive-verify-run">
          {running ? 'Checking…' : 'Verify files'}
        </Button>
      }
    >
      {error ? (
        <MessageBar intent="error" data-testid="archive-verify-error">
          <MessageBarBody>
            <MessageBarTitle>Could not check the archive</MessageBarTitle>
            {error}
          </MessageBarBody>
        </MessageBar>
      ) : null}
      {result ? <VerifyResult result={result} /> : null}
      {!result && !error ? <Caption1 className={styles.muted}>Not checked since this screen opened.</Caption1> : null}
    </Section>
  );
}

function VerifyResult({ result }: { result: ArchiveVerifyResult }) {
  const styles = useStyles();
  const files = result.checked === 1 ? '1 file' : `${formatCount(result.checked)} files`;
  if (result.problems.length === 0) {
    return (
      <MessageBar intent="success" data-testid="archive-verify-result" data-ok="true">
        <MessageBarBody>
          <MessageBarTitle>All in place</MessageBarTitle>
          {result.checked === 0 ? 'Nothing is archived yet.' : `${files} checked: every one is there with its recorded size and SHA-256.`}
        </MessageBarBody>
      </MessageBar>
    );
  }
  const n = result.problems.length;
  return (
    <>
      <MessageBar intent="error" data-testid="archive-verify-result" data-ok="false">
        <MessageBarBody>
          <MessageBarTitle>{n === 1 ? '1 file is not as archived' : `${formatCount(n)} files are not as archived`}</MessageBarTitle>
          {`${files} checked, ${formatCount(result.ok)} in place. Restore the files below from a copy of the archive (their paths are relative to the archive folder).`}
        </MessageBarBody>
      </MessageBar>
      <TableScroll>
        <Table size="small" aria-label="Archived files that are not as archived" data-testid="archive-verify-problems">
          <TableHeader>
            <TableRow>
              <TableHeaderCell>File</TableHeaderCell>
              <TableHeaderCell>Problem</TableHeaderCell>
              <TableHeaderCell>Recorded</TableHeaderCell>
              <TableHeaderCell>Found</TableHeaderCell>
            </TableRow>
          </TableHeader>
          <TableBody>
            {result.problems.slice(0, SHOWN).map((p) => (
              <TableRow key={p.path} data-testid="archive-verify-problem">
                <TableCell className={styles.mono}>{p.path}</TableCell>
                <TableCell>{PROBLEM[p.problem]}</TableCell>
                <TableCell className={styles.mono}>{p.expected}</TableCell>
                <TableCell className={styles.mono}>{p.found ?? '—'}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </TableScroll>
      {n > SHOWN ? <Caption1 className={styles.muted}>{`The first ${SHOWN} of ${formatCount(n)}; pra-ic archive verify --json lists them all.`}</Caption1> : null}
    </>
  );
}
